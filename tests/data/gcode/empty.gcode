(a program that never lowers the pen)
G21 G90
G0 Z5
G0 X10 Y10
G0 X20 Y20
M2
