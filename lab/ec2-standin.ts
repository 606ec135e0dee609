/**
 * The lab's EC2: a stand-in for the two EC2 read calls of the EC2 view (DescribeNetworkInterfaces,
 * DescribeRouteTables, EC2 Query protocol, XML answers), answering from what the nodes' notify scripts
 * did. The node kit's notify script runs `aws ec2 assign-private-ip-addresses` (and `replace-route`)
 * when its node becomes MASTER; in the lab `aws` is the lab's stand-in CLI (lab/templates.ts), which
 * appends each call to the calls log, or fails it, or makes it take effect late, as the fault file says:
 *   fail          the next assignments fail (the notify script logs the error), nothing changes
 *   lag <s>       the next assignments take effect <s> seconds after the call (EC2 remaps asynchronously)
 *   api-throttle  the Describe calls answer RequestLimitExceeded (the prober's view fails)
 * The CLI serves it for a lab cluster with `ec2StandIn`; the rehearsal behind its EC2 endpoint.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { LabPlan } from "./plan.ts";

export interface Ec2Topology {
  /** The nodes' network interfaces, with their instance and primary address. */
  interfaces: { id: string; instanceId: string; primaryIp: string }[];
  routeTables: string[];
}

export interface Ec2WorldOptions extends Ec2Topology {
  callsLog: string;
  faultFile: string;
}

/** The lab's EC2 topology, from its plan. */
export function labEc2Topology(p: LabPlan): Ec2Topology {
  return {
    interfaces: (["a", "b"] as const).map((id) => ({
      id: p.ec2.nodes[id].networkInterfaceId,
      instanceId: p.ec2.nodes[id].instanceId,
      primaryIp: p.nodes[id].ip,
    })),
    routeTables: p.ec2.routeTableIds,
  };
}

/** One answer, as the EC2 Query API gives it. */
export interface Ec2Reply {
  status: number;
  body: string;
}

interface Call {
  effectiveAt: number;
  seq: number;
  kind: "assign" | "route";
  args: string[];
}

const XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/";

export class Ec2World {
  constructor(private readonly o: Ec2WorldOptions) {}

  /** The fault file's first word and argument ("" when none). */
  fault(): { kind: string; arg: number } {
    if (!existsSync(this.o.faultFile)) return { kind: "", arg: 0 };
    const [kind = "", arg = "0"] = readFileSync(this.o.faultFile, "utf8").trim().split(/\s+/);
    return { kind, arg: Number(arg) || 0 };
  }

  /** Where the VPC routes things now: replays the calls that have taken effect, in effect order. */
  state(now = Date.now()): { secondary: Map<string, string>; routes: Map<string, Map<string, string>> } {
    const calls: Call[] = [];
    const text = existsSync(this.o.callsLog) ? readFileSync(this.o.callsLog, "utf8") : "";
    text.split("\n").forEach((line, seq) => {
      const [at, lag, kind, ...args] = line.trim().split(/\s+/);
      if ((kind !== "assign" && kind !== "route") || !at) return;
      const effectiveAt = Number(at) * 1000 + (Number(lag) || 0) * 1000;
      if (Number.isFinite(effectiveAt) && effectiveAt <= now) calls.push({ effectiveAt, seq, kind, args });
    });
    calls.sort((x, y) => x.effectiveAt - y.effectiveAt || x.seq - y.seq);
    const secondary = new Map<string, string>(); // ip -> eni (a reassignment moves it)
    const routes = new Map<string, Map<string, string>>(); // rtb -> cidr -> eni
    for (const c of calls) {
      if (c.kind === "assign") {
        const [eni, ip] = c.args;
        if (eni && ip) secondary.set(ip, eni);
      } else {
        const [rtb, cidr, eni] = c.args;
        if (rtb && cidr && eni) routes.set(rtb, new Map(routes.get(rtb)).set(cidr, eni));
      }
    }
    return { secondary, routes };
  }

  /** Answers one EC2 Query call (its form parameters). */
  answer(input: Record<string, string>): Ec2Reply {
    if (this.fault().kind === "api-throttle")
      return ec2Error(503, "RequestLimitExceeded", "Request limit exceeded.");
    switch (input.Action) {
      case "DescribeNetworkInterfaces":
        return this.describeNetworkInterfaces(input);
      case "DescribeRouteTables":
        return this.describeRouteTables(input);
      default:
        return ec2Error(
          400,
          "InvalidAction",
          `The action ${input.Action} is not valid for this web service.`,
        );
    }
  }

  private describeNetworkInterfaces(input: Record<string, string>): Ec2Reply {
    const { secondary } = this.state();
    const wantedIps = filterValues(input, ["addresses.private-ip-address", "private-ip-address"]);
    const items = this.o.interfaces
      .map((n) => ({
        ...n,
        ips: [n.primaryIp, ...[...secondary].filter(([, eni]) => eni === n.id).map(([ip]) => ip)],
      }))
      .filter((n) => wantedIps === null || n.ips.some((ip) => wantedIps.includes(ip)))
      .map(
        (n) =>
          `<item><networkInterfaceId>${n.id}</networkInterfaceId><status>in-use</status>` +
          `<privateIpAddress>${n.primaryIp}</privateIpAddress>` +
          `<attachment><attachmentId>eni-attach-${n.id.slice(4)}</attachmentId><instanceId>${n.instanceId}</instanceId><deviceIndex>0</deviceIndex><status>attached</status></attachment>` +
          `<privateIpAddressesSet>${n.ips.map((ip, i) => `<item><privateIpAddress>${ip}</privateIpAddress><primary>${i === 0}</primary></item>`).join("")}</privateIpAddressesSet></item>`,
      );
    return ok(
      "DescribeNetworkInterfacesResponse",
      `<networkInterfaceSet>${items.join("")}</networkInterfaceSet>`,
    );
  }

  private describeRouteTables(input: Record<string, string>): Ec2Reply {
    const { routes } = this.state();
    const ids = Object.entries(input)
      .filter(([k]) => /^RouteTableId\.\d+$/.test(k))
      .map(([, v]) => v);
    const unknown = ids.filter((id) => !this.o.routeTables.includes(id));
    if (unknown.length)
      return ec2Error(
        400,
        "InvalidRouteTableID.NotFound",
        `The routeTable ID '${unknown[0]}' does not exist`,
      );
    const instanceOf = (eni: string) => this.o.interfaces.find((n) => n.id === eni)?.instanceId;
    const items = (ids.length ? ids : this.o.routeTables).map((rtb) => {
      const set = [...(routes.get(rtb) ?? new Map<string, string>())].map(([cidr, eni]) => {
        const instance = instanceOf(eni);
        return `<item><destinationCidrBlock>${cidr}</destinationCidrBlock><networkInterfaceId>${eni}</networkInterfaceId>${instance ? `<instanceId>${instance}</instanceId>` : ""}<state>${instance ? "active" : "blackhole"}</state><origin>CreateRoute</origin></item>`;
      });
      return `<item><routeTableId>${rtb}</routeTableId><routeSet>${set.join("")}</routeSet></item>`;
    });
    return ok("DescribeRouteTablesResponse", `<routeTableSet>${items.join("")}</routeTableSet>`);
  }
}

/** Filter.N.Name / Filter.N.Value.M: the values of the first filter with one of these names; null: none. */
function filterValues(input: Record<string, string>, names: string[]): string[] | null {
  for (const [k, v] of Object.entries(input)) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (!m || !names.includes(v)) continue;
    return Object.entries(input)
      .filter(([kk]) => kk.startsWith(`Filter.${m[1]}.Value.`))
      .map(([, vv]) => vv);
  }
  return null;
}

function ok(root: string, inner: string): Ec2Reply {
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${XMLNS}"><requestId>${randomUUID()}</requestId>${inner}</${root}>`,
  };
}

export function ec2Error(status: number, code: string, message: string): Ec2Reply {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return {
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
  };
}

/** Serves the world on loopback (the CLI's embedded stand-in); returns its URL. Does not keep the process alive. */
export async function serveEc2StandIn(world: Ec2World): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const input = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const r = world.answer(input);
      res.writeHead(r.status, {
        "content-type": "text/xml;charset=UTF-8",
        "x-amzn-requestid": randomUUID(),
        // nothing of the stand-in may keep a CLI command from exiting
        connection: "close",
      });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
