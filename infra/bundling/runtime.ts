/** What the handler bundles target; read by the bundling options and by the after-bundling hook. */

/** esbuild target of the Lambda runtime (Node.js 22). */
export const LAMBDA_NODE_TARGET = 'node22';

/** Used only by the CLI (DuckDB is a native addon): never bundled, never deployed. */
export const SERVER_ONLY_PACKAGES = ['@duckdb/node-api'] as const;
