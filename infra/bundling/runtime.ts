/** What the handler bundles target; read by the bundling options and by the after-bundling hook. */

/** esbuild target of the Lambda runtime (Node.js 22). */
export const LAMBDA_NODE_TARGET = 'node22';

/**
 * Native addons: never bundled; deployed only beside a handler that declares them
 * (`FunctionDefinition.nativePackages`: the compaction's DuckDB).
 */
export const SERVER_ONLY_PACKAGES = ['@duckdb/node-api'] as const;
