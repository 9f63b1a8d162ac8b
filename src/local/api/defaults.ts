/** Where the console/API server listens by default: apart from the server, so the CLI's `--help` reads them without loading it. */
export const DEFAULT_API_HOST = '127.0.0.1';
/** The port `up` asks for when `--port` is not given; 0 (any free port) when it is taken. */
export const DEFAULT_API_PORT = 8787;
