/**
 * Child process of bench/run.ts ("2. one full probe"): the Lambda handler, built as in Lambda but wired to
 * an existing lab and the bench's local DynamoDB and SES, invoked N times in a row. Prints one JSON line:
 * the process's peak RSS after the imports and after the invocations.
 * bench/run.ts bundles it with the function's esbuild settings and runs the bundle with plain node:
 * node index.mjs <lab name> <lab subnet> <dynamo endpoint> <table> <ses endpoint> <N>
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import { labHandler, scheduledEvent } from "../lab/function-in-process.ts";
import { Lab } from "../lab/lab.ts";

const [name, subnet, dynamoEndpoint, table, sesEndpoint, n] = process.argv.slice(2) as string[];
const mb = () => process.resourceUsage().maxRSS / 1024;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const afterImports = mb();
const lab = new Lab({ name, subnet });
const handler = labHandler(lab, {
  dynamo: new DynamoDBClient({ endpoint: dynamoEndpoint, region: "local", credentials }),
  tableName: table as string,
  ses: new SESClient({ endpoint: sesEndpoint, region: "local", credentials }),
});
const statuses: string[] = [];
// the handler logs (Powertools) and prints EMF to stdout: keep this process's stdout for the result
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (() => true) as typeof process.stdout.write;
for (let i = 0; i < Number(n); i++) {
  const end = Date.now() + 20_000;
  const r = (await handler(scheduledEvent(lab), {
    functionName: "probe",
    awsRequestId: `bench-${i}`,
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:probe",
    memoryLimitInMB: "512",
    getRemainingTimeInMillis: () => end - Date.now(),
  } as never)) as { probes: { status: string }[] };
  statuses.push(...r.probes.map((p) => p.status));
}
write(
  `${JSON.stringify({ afterImportsMb: afterImports, peakMb: mb(), invocations: Number(n), statuses: [...new Set(statuses)] })}\n`,
);
process.exit(0);
