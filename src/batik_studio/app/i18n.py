"""Every user-visible string of the web app, in Indonesian (default) and English.

Motif texts come from the catalogue; everything else comes from :data:`TEXT`, so a page never holds a literal
sentence and a missing translation is caught by a test rather than by a user.
"""

from __future__ import annotations

LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"

TEXT: dict[str, dict[str, str]] = {
    # Navigation and the language switch
    "nav.home": {"id": "Beranda", "en": "Home"},
    "nav.classify": {"id": "Klasifikasi", "en": "Classify"},
    "nav.history": {"id": "Riwayat", "en": "History"},
    "nav.motifs": {"id": "Motif", "en": "Motifs"},
    "nav.toolpath": {"id": "Jalur CNC", "en": "Toolpath"},
    "lang.label": {"id": "Bahasa / Language", "en": "Bahasa / Language"},
    "app.error": {"id": "Terjadi masalah: {error}", "en": "Something went wrong: {error}"},
    # Home
    "home.title": {"id": "Batik Studio", "en": "Batik Studio"},
    "home.intro": {
        "id": "Kenali motif batik dari sebuah foto, pelajari asal dan maknanya, dan atur ulang urutan gambar mesin "
        "CNC batik tulis agar canting lebih sedikit berpindah.",
        "en": "Recognise a batik motif from a photo, learn where it comes from and what it means, and re-order the "
        "strokes of a CNC batik-tulis drawing so the pen travels less.",
    },
    "home.what": {"id": "Yang bisa dilakukan", "en": "What you can do"},
    "home.what_classify": {
        "id": "**Klasifikasi**: unggah foto kain atau ambil dengan kamera; aplikasi menyebut motifnya, seberapa yakin, "
        "dan kartu motifnya.",
        "en": "**Classify**: upload a photo of a cloth or take one with the camera; the app names the motif, how sure "
        "it is, and shows the motif's card.",
    },
    "home.what_history": {
        "id": "**Riwayat**: setiap hasil tersimpan di komputer ini dan tetap ada setelah aplikasi dimulai ulang.",
        "en": "**History**: every result is kept on this computer and survives restarts.",
    },
    "home.what_motifs": {
        "id": "**Motif**: katalog motif dengan daerah asal, makna, sejarah, dan kapan dipakai.",
        "en": "**Motifs**: a catalogue of motifs with region, meaning, history and when they are worn.",
    },
    "home.what_toolpath": {
        "id": "**Jalur CNC**: unggah gambar G-code atau SVG dan unduh G-code dengan urutan goresan yang lebih hemat.",
        "en": "**Toolpath**: upload a G-code or SVG drawing and download G-code with a shorter stroke order.",
    },
    "home.model": {"id": "Model yang dipakai", "en": "The model in use"},
    "home.known": {"id": "Motif yang dikenali ({n}): {names}", "en": "Motifs it recognises ({n}): {names}"},
    "home.accuracy": {
        "id": "Akurasi terukur pada {images} foto uji yang tidak dipakai saat pelatihan: **{accuracy}**.",
        "en": "Accuracy measured on {images} test photos not used in training: **{accuracy}**.",
    },
    "home.rejected": {
        "id": "Dari {n} foto yang bukan batik atau bukan motifnya, yang ditolak sebagai tidak dikenal: **{rejected}**.",
        "en": "Of {n} photos that are not batik or not one of its motifs, rejected as unknown: **{rejected}**.",
    },
    "home.unseen": {
        "id": "Diuji pada foto dari {k} koleksi publik yang tidak dilihatnya saat belajar (satu koleksi setiap kali), "
        "model menebak motif dengan benar pada **{accuracy}** foto, rata-rata. Foto kain yang bukan batik ditolak "
        "**{negatives}** kali, foto motif yang tidak dikenalnya **{outside}** kali; **{known}** foto motif yang "
        "dikenalnya ikut ditolak.",
        "en": "Tested on photos from {k} public collections it did not see while learning (one collection at a "
        "time), it named the motif right for **{accuracy}** of photos on average. It turned away **{negatives}** "
        "of photos of cloth that is not batik and **{outside}** of photos of motifs it does not know; it also "
        "turned away **{known}** of photos of motifs it does know.",
    },
    "home.card_limits": {
        "id": "Dari kartu model (dalam bahasa Inggris):",
        "en": "From the model card:",
    },
    "home.no_accuracy": {
        "id": "Kartu model tidak memuat akurasi terukur.",
        "en": "The model card holds no measured accuracy.",
    },
    "home.model_error": {
        "id": "Model tidak dapat dimuat: {error}",
        "en": "The model could not be loaded: {error}",
    },
    "home.limits_title": {"id": "Batasannya", "en": "Its limits"},
    "home.limits": {
        "id": "Model hanya mengenal motif di atas. Foto lain (kain bukan batik, motif lain) dijawab "
        '"bukan batik, atau motif yang belum dikenal", tetapi penolakan ini tidak sempurna. Foto yang terang, '
        "tegak lurus, dan memenuhi bingkai memberi hasil terbaik. Makna dan sejarah motif adalah ringkasan dari "
        "sumber yang dicantumkan; bila sumber berbeda pendapat, kartu menyebutkannya.",
        "en": "The model only knows the motifs above. Other photos (non-batik cloth, other motifs) are answered "
        '"not a batik, or a motif this model does not know", but that rejection is not perfect. Bright, '
        "straight-on photos that fill the frame work best. Meanings and histories summarise the listed sources; "
        "where sources disagree, the card says so.",
    },
    # Classify
    "classify.title": {"id": "Klasifikasi motif", "en": "Classify a motif"},
    "classify.source": {"id": "Sumber foto", "en": "Photo source"},
    "classify.source_upload": {"id": "Unggah foto", "en": "Upload a photo"},
    "classify.source_camera": {"id": "Kamera", "en": "Camera"},
    "classify.upload": {"id": "Foto kain batik", "en": "Photo of a batik cloth"},
    "classify.upload_help": {
        "id": "JPEG, PNG, WEBP atau HEIC, paling besar {mb} MB.",
        "en": "JPEG, PNG, WEBP or HEIC, at most {mb} MB.",
    },
    "classify.camera": {"id": "Ambil foto kain", "en": "Take a photo of the cloth"},
    "classify.hint": {
        "id": "Pilih foto untuk mulai. Hasilnya tersimpan otomatis di Riwayat.",
        "en": "Choose a photo to begin. The result is saved to the History automatically.",
    },
    "classify.file": {"id": "Berkas: {name}", "en": "File: {name}"},
    "classify.error": {
        "id": 'Berkas "{name}" tidak dapat dipakai sebagai foto. Gunakan JPEG, PNG, WEBP atau HEIC, paling besar '
        "{mb} MB.",
        "en": 'The file "{name}" cannot be used as a photo. Use JPEG, PNG, WEBP or HEIC, at most {mb} MB.',
    },
    "classify.error_detail": {"id": "Rincian: {error}", "en": "Details: {error}"},
    "classify.limit": {
        "id": "Sesi ini sudah mengklasifikasi {n} foto, batas per sesi. Muat ulang halaman untuk memulai sesi baru.",
        "en": "This session has classified {n} photos, the limit per session. Reload the page to start a new one.",
    },
    "classify.likely": {"id": "Kemungkinan besar **{motif}**", "en": "Likely **{motif}**"},
    "classify.possibly": {"id": "Mungkin **{motif}**", "en": "Possibly **{motif}**"},
    "classify.uncertain": {"id": "Belum pasti, paling mirip **{motif}**", "en": "Uncertain, closest to **{motif}**"},
    "classify.rejected": {
        "id": "Bukan batik, atau motif yang belum dikenal model ini.",
        "en": "Not a batik, or a motif this model does not know.",
    },
    "classify.closest": {"id": "Tebakan terdekat", "en": "Closest guesses"},
    "classify.top": {"id": "Tiga tebakan teratas", "en": "Top three guesses"},
    "classify.confidence": {"id": "Keyakinan", "en": "Confidence"},
    "classify.confidence_note": {
        "id": 'Keyakinan model ({percent}); di atas 80% disebut "kemungkinan besar", 50–80% "mungkin", '
        'di bawahnya "belum pasti".',
        "en": 'The model\'s confidence ({percent}); above 80% reads "likely", 50–80% "possibly", below that '
        '"uncertain".',
    },
    "classify.saved": {"id": "Tersimpan di Riwayat (#{id}).", "en": "Saved to the History (#{id})."},
    "classify.time": {"id": "Waktu klasifikasi: {ms} ms", "en": "Classification time: {ms} ms"},
    # Motif card
    "card.aliases": {"id": "Nama lain", "en": "Also called"},
    "card.regions": {"id": "Daerah asal", "en": "Region of origin"},
    "card.meaning": {"id": "Makna dan filosofi", "en": "Meaning and philosophy"},
    "card.history": {"id": "Sejarah", "en": "History"},
    "card.usage": {"id": "Kapan dipakai", "en": "When it is worn"},
    "card.disputes": {"id": "Sumber berbeda pendapat", "en": "Where sources disagree"},
    "card.sources": {"id": "Sumber", "en": "Sources"},
    "card.missing": {
        "id": 'Katalog belum memuat kartu untuk motif "{motif}".',
        "en": 'The catalogue has no card for the motif "{motif}" yet.',
    },
    # History
    "history.title": {"id": "Riwayat klasifikasi", "en": "Classification history"},
    "history.empty": {
        "id": "Belum ada hasil. Klasifikasikan sebuah foto untuk memulai riwayat.",
        "en": "No results yet. Classify a photo to start the history.",
    },
    "history.count": {"id": "{n} hasil, terbaru di atas.", "en": "{n} results, newest first."},
    "history.page": {"id": "Halaman (dari {pages})", "en": "Page (of {pages})"},
    "history.open": {"id": "Buka", "en": "Open"},
    "history.close": {"id": "Tutup", "en": "Close"},
    "history.delete": {"id": "Hapus", "en": "Delete"},
    "history.delete_confirm": {
        "id": "Hapus hasil #{id} ({motif})? Ini tidak dapat dibatalkan.",
        "en": "Delete result #{id} ({motif})? This cannot be undone.",
    },
    "history.confirm": {"id": "Ya, hapus", "en": "Yes, delete"},
    "history.cancel": {"id": "Batal", "en": "Cancel"},
    "history.deleted": {"id": "Hasil #{id} dihapus.", "en": "Result #{id} deleted."},
    "history.delete_all_title": {"id": "Hapus semua", "en": "Delete everything"},
    "history.delete_all_ack": {
        "id": "Saya paham semua {n} hasil dan fotonya akan dihapus.",
        "en": "I understand all {n} results and their photos will be deleted.",
    },
    "history.delete_all": {"id": "Hapus semua riwayat", "en": "Delete the whole history"},
    "history.deleted_all": {"id": "{n} hasil dihapus.", "en": "{n} results deleted."},
    "history.export": {"id": "Unduh CSV", "en": "Download CSV"},
    "history.unknown": {"id": "tidak dikenal", "en": "not recognised"},
    "history.details": {"id": "Hasil #{id}", "en": "Result #{id}"},
    "history.when": {"id": "Waktu (UTC): {when}", "en": "Time (UTC): {when}"},
    "history.model": {"id": "Model: {model}", "en": "Model: {model}"},
    # Motifs
    "motifs.title": {"id": "Katalog motif", "en": "Motif catalogue"},
    "motifs.intro": {
        "id": "Setiap motif dengan daerah asal, makna, sejarah, kapan dipakai, dan sumbernya.",
        "en": "Every motif with its region, meaning, history, when it is worn, and its sources.",
    },
    "motifs.photos": {
        "id": "Contoh foto tidak ditampilkan: foto-foto yang dipakai untuk melatih model tidak boleh disebarkan ulang.",
        "en": "No example photos are shown: the photos the model was trained on may not be redistributed.",
    },
    "motifs.recognised": {"id": "Dikenali model ({n})", "en": "Recognised by the model ({n})"},
    "motifs.not_recognised": {"id": "Belum dikenali model ({n})", "en": "Not yet recognised ({n})"},
    "motifs.badge": {"id": "belum dikenali", "en": "not yet recognised"},
    # Toolpath
    "toolpath.title": {"id": "Jalur CNC: urutan goresan", "en": "Toolpath: stroke order"},
    "toolpath.intro": {
        "id": "Unggah gambar motif (G-code, SVG atau DXF). Pengoptimal menyusun ulang urutan dan arah goresan agar "
        "canting lebih sedikit berpindah saat terangkat; garis yang digambar tetap sama. Lapisan dan pergantian "
        "canting tetap pada urutannya.",
        "en": "Upload a motif drawing (G-code, SVG or DXF). The optimiser re-orders and flips the strokes so the pen "
        "travels less while lifted; the drawn lines stay the same. Layers and tool changes keep their sequence.",
    },
    "toolpath.upload": {"id": "Gambar G-code, SVG atau DXF", "en": "G-code, SVG or DXF drawing"},
    "toolpath.upload_help": {
        "id": "Berkas .gcode, .nc, .ngc, .tap, .svg atau .dxf, paling besar {mb} MB.",
        "en": "A .gcode, .nc, .ngc, .tap, .svg or .dxf file, at most {mb} MB.",
    },
    "toolpath.output": {"id": "Hasil sebagai", "en": "Result as"},
    "toolpath.output_gcode": {"id": "G-code", "en": "G-code"},
    "toolpath.output_svg": {"id": "SVG (untuk plotter)", "en": "SVG (for plotters)"},
    "toolpath.merge": {"id": "Gabungkan goresan yang bersambung", "en": "Join strokes that touch"},
    "toolpath.merge_help": {
        "id": "Goresan yang ujungnya bertemu (0,05 mm) digambar sebagai satu, jadi canting lebih jarang diangkat.",
        "en": "Strokes whose ends meet (within 0.05 mm) are drawn as one, so the pen is lifted less often.",
    },
    "toolpath.dedupe": {"id": "Buang goresan ganda", "en": "Drop retraced strokes"},
    "toolpath.dedupe_help": {
        "id": "Goresan yang menimpa goresan lain (0,05 mm) tidak digambar dua kali, agar malam tidak menumpuk.",
        "en": "A stroke lying on another (within 0.05 mm) is not drawn twice, so wax does not blot.",
    },
    "toolpath.y_down": {"id": "Sumbu Y ke bawah (SVG/DXF)", "en": "Y axis downwards (SVG/DXF)"},
    "toolpath.y_down_help": {
        "id": "Untuk plotter dengan titik nol di kiri atas. Biasanya Y ke atas dari pojok kiri bawah halaman.",
        "en": "For plotters with the origin at the top-left. By default Y points up from the page's lower-left.",
    },
    "toolpath.groups": {"id": "Kelompok (lapisan, pergantian canting)", "en": "Groups (layers, tool changes)"},
    "toolpath.group_name": {"id": "Kelompok", "en": "Group"},
    "toolpath.cleaning": {
        "id": "{touching} goresan bersambung dengan goresan lain; {retraced} goresan ({retraced_mm} mm) menimpa "
        "goresan lain. Digambar: {strokes} goresan.",
        "en": "{touching} strokes touch another end to end; {retraced} strokes ({retraced_mm} mm) retrace another. "
        "Drawn: {strokes} strokes.",
    },
    "toolpath.step": {"id": "Telusuri urutannya", "en": "Step through the order"},
    "toolpath.step_help": {
        "id": "Goresan yang sudah digambar (gelap), perpindahan (merah), goresan berikutnya (biru)",
        "en": "Strokes drawn so far (dark), travel (red), the next stroke (blue)",
    },
    "toolpath.download_gcode": {"id": "Unduh G-code baru", "en": "Download the new G-code"},
    "toolpath.download_svg": {"id": "Unduh SVG baru", "en": "Download the new SVG"},
    "toolpath.method": {"id": "Metode", "en": "Method"},
    "toolpath.feed": {"id": "Kecepatan mesin (mm/menit)", "en": "Machine feed rate (mm/min)"},
    "toolpath.time_limit": {"id": "Batas waktu (detik)", "en": "Time limit (s)"},
    "toolpath.bound": {
        "id": "Hitung juga batas bawah (lebih lambat), untuk melihat seberapa dekat ke optimal",
        "en": "Also prove a lower bound (slower), to see how close to optimal the result is",
    },
    "toolpath.running": {"id": "Mengoptimalkan…", "en": "Optimising…"},
    "toolpath.run": {"id": "Optimalkan", "en": "Optimise"},
    "toolpath.hint": {"id": "Pilih sebuah gambar untuk mulai.", "en": "Choose a drawing to begin."},
    "toolpath.error": {
        "id": 'Gambar "{name}" tidak dapat dipakai: {error}',
        "en": 'The drawing "{name}" cannot be used: {error}',
    },
    "toolpath.segments": {"id": "Goresan", "en": "Strokes"},
    "toolpath.travel_before": {"id": "Perpindahan awal", "en": "Travel before"},
    "toolpath.travel_after": {"id": "Perpindahan baru", "en": "Travel after"},
    "toolpath.saved_minutes": {"id": "Waktu dihemat", "en": "Time saved"},
    "toolpath.lower_bound": {"id": "Batas bawah", "en": "Lower bound"},
    "toolpath.gap": {"id": "Selisih dari batas bawah", "en": "Gap to lower bound"},
    "toolpath.summary": {
        "id": "Metode {method}, {seconds} detik. Waktu mesin {before} → {after} menit pada {feed} mm/menit.",
        "en": "Method {method}, {seconds} s. Machine time {before} → {after} min at {feed} mm/min.",
    },
    "toolpath.plot": {
        "id": "Kiri: urutan awal; kanan: urutan baru. Garis perpindahan adalah gerakan saat canting terangkat.",
        "en": "Left: the original order; right: the new order. Travel lines are moves with the pen lifted.",
    },
    "toolpath.unit_mm": {"id": "{value} mm", "en": "{value} mm"},
    "toolpath.unit_min": {"id": "{value} menit", "en": "{value} min"},
}


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (falling back to Indonesian), with ``values`` filled in."""
    entry = TEXT[key]
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "TEXT", "t"]
