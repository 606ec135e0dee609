/**
 * Entry point bundled like the Lambda function by test/infra/bundle.test.ts: the SQL probe (mysql2 as
 * bundled) against host:port from the command line; prints the observation as JSON.
 */
import { MysqlProbe } from "../../shared/adapters/mysql-probe.ts";
import { deadlineIn } from "../../shared/domain/types.ts";

const [host, port] = process.argv.slice(2);
const probe = new MysqlProbe({ user: "prober", password: "pw" });
const o = await probe.observe({ name: "a", host: host as string, port: Number(port) }, deadlineIn(5000));
process.stdout.write(`${JSON.stringify(o)}\n`);
