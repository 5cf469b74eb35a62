// Placeholders of web/sw.js that the server fills in when it serves /sw.js (server::web).

/** The build id: a hash of every precached file. */
declare const __BUILD__: string;
/** The paths precached at install: the app shell. */
declare const __PRECACHE__: string[];
