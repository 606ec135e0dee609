/**
 * VipRouteReader over the EC2 API: in secondary-ip mode, DescribeNetworkInterfaces filtered on the
 * VIP (`addresses.private-ip-address`) names the interface holding it and its instance; in route-table
 * mode, DescribeRouteTables of the configured tables gives each table's /32 route for the VIP and its
 * target. Read-only calls (ec2:Describe*), one per probe, under the probe's deadline and its own
 * timeout. Never throws: a failed call is an observation with its class (denied, throttled, timeout).
 *
 * The EC2Client is passed in (as middy does); the function passes its one traced client.
 */
import {
  DescribeNetworkInterfacesCommand,
  type DescribeNetworkInterfacesCommandOutput,
  DescribeRouteTablesCommand,
  type DescribeRouteTablesCommandOutput,
  EC2Client,
  type EC2ClientConfig,
} from "@aws-sdk/client-ec2";
import type { Ec2Mode, Ec2Observation, Ec2Target } from "../domain/ec2.ts";
import { type Deadline, remainingMs } from "../domain/types.ts";
import type { VipRouteReader } from "../ports.ts";
import { sendBy } from "./sdk-deadline.ts";

export interface Ec2VipReaderOptions {
  client: EC2Client;
  mode: Ec2Mode;
  /** route-table mode: the tables that must route the VIP. */
  routeTableIds?: readonly string[];
  /** The call's own cap, within the probe's deadline. @default 3000 */
  timeoutMs?: number;
}

export class Ec2VipReader implements VipRouteReader {
  constructor(private readonly o: Ec2VipReaderOptions) {
    if (o.mode === "route-table" && (o.routeTableIds ?? []).length === 0)
      throw new Error("routeTableIds: route-table mode needs at least one route table");
  }

  async locate(vip: string, deadline: Deadline): Promise<Ec2Observation> {
    const started = Date.now();
    const mode = this.o.mode;
    try {
      if (mode === "secondary-ip") {
        const out = await this.send<DescribeNetworkInterfacesCommandOutput>(
          new DescribeNetworkInterfacesCommand({
            Filters: [{ Name: "addresses.private-ip-address", Values: [vip] }],
          }),
          deadline,
        );
        const targets: Ec2Target[] = (out.NetworkInterfaces ?? []).map((n) => ({
          interfaceId: n.NetworkInterfaceId ?? null,
          instanceId: n.Attachment?.InstanceId ?? null,
        }));
        return { ok: true, mode, targets, durationMs: Date.now() - started };
      }
      const cidr = `${vip}/32`;
      const tables = this.o.routeTableIds ?? [];
      const out = await this.send<DescribeRouteTablesCommandOutput>(
        new DescribeRouteTablesCommand({ RouteTableIds: [...tables] }),
        deadline,
      );
      const targets: Ec2Target[] = [];
      const withRoute = new Set<string>();
      for (const t of out.RouteTables ?? []) {
        for (const r of t.Routes ?? []) {
          if (r.DestinationCidrBlock !== cidr) continue;
          withRoute.add(t.RouteTableId ?? "");
          targets.push({
            interfaceId: r.NetworkInterfaceId ?? null,
            instanceId: r.InstanceId ?? null,
            routeTableId: t.RouteTableId ?? "?",
            state: r.State ?? "active",
          });
        }
      }
      return {
        ok: true,
        mode,
        targets,
        tablesWithoutRoute: tables.filter((id) => !withRoute.has(id)),
        durationMs: Date.now() - started,
      };
    } catch (e) {
      const name = (e as { name?: string })?.name ?? "Error";
      const message = `${name}: ${(e as Error).message}`;
      const errorClass =
        name === "AbortError" || remainingMs(deadline) <= 0
          ? "timeout"
          : /Throttl|RequestLimitExceeded|TooManyRequests/.test(name)
            ? "throttled"
            : /UnauthorizedOperation|AccessDenied/.test(name)
              ? "denied"
              : "other";
      return { ok: false, mode, errorClass, error: message, durationMs: Date.now() - started };
    }
  }

  private send<T>(command: unknown, deadline: Deadline): Promise<T> {
    return sendBy<T>(this.o.client, command, deadline, this.o.timeoutMs ?? 3000);
  }
}

/** The reader of a cluster with the EC2 view on, over the given client. */
export function ec2ReaderFor(
  ec2: { mode: Ec2Mode; routeTableIds: readonly string[]; timeoutMs: number },
  client: EC2Client,
): Ec2VipReader {
  return new Ec2VipReader({
    client,
    mode: ec2.mode,
    routeTableIds: ec2.routeTableIds,
    timeoutMs: ec2.timeoutMs,
  });
}

/**
 * The reader with its own EC2 client, for a caller that loads this module only when a cluster has the
 * EC2 view on (the function: the EC2 SDK stays out of every other cold start).
 */
export function ec2ReaderWithClient(
  ec2: { mode: Ec2Mode; routeTableIds: readonly string[]; timeoutMs: number; region?: string },
  config: EC2ClientConfig,
  wrap: (c: EC2Client) => EC2Client = (c) => c,
): Ec2VipReader {
  return ec2ReaderFor(ec2, wrap(new EC2Client({ ...config, ...(ec2.region ? { region: ec2.region } : {}) })));
}
