// Placeholders of web/sw.js that the server fills in when it serves /sw.js (server::web).

/** The build id: a hash of the precache manifest. */
declare const __BUILD__: string;
/** The precache manifest: `[path, rev]` per file of the app shell, `rev` the first 32 hex
 *  digits of the SHA-256 of the file as served. */
declare const __PRECACHE__: [string, string][];
