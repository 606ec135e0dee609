/**
 * CloudWatch, for the rehearsal: the function's EMF log lines become datapoints (namespace, name, each
 * dimension set, value, timestamp), the emulated Lambda and SQS publish theirs, and every alarm of the
 * template is evaluated as CloudWatch does: exact dimension set, statistic, period, evaluation periods,
 * datapoints to alarm, comparison, threshold and treatMissingData, with every period divided by the
 * rehearsal's time factor. Dashboard widgets are checked to have data.
 */

export interface Datapoint {
  namespace: string;
  name: string;
  /** The dimensions of one dimension set (CloudWatch stores one series per set). */
  dims: Record<string, string>;
  value: number;
  at: number;
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** An AWS::Logs::MetricFilter of the function's log group. */
export interface MetricFilterSpec {
  pattern: string;
  namespace: string;
  name: string;
  /** `$.field` or a number. */
  value: string;
}

function jsonPath(doc: Record<string, unknown>, path: string): unknown {
  let v: unknown = doc;
  for (const k of path.slice(2).split(".")) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

/**
 * A JSON metric filter pattern, as CloudWatch Logs evaluates it ("Filter pattern syntax for metric filters":
 * `{ $.field = "text" }`, `{ $.n > 0 }`, terms joined by `&&` or `||`, each in parentheses or not). Only
 * these forms are emulated: any other pattern is refused, never matched loosely.
 */
export function jsonFilterMatcher(pattern: string): (doc: Record<string, unknown>) => boolean {
  const body = /^\{\s*(.*?)\s*\}$/s.exec(pattern.trim())?.[1];
  if (body === undefined)
    throw new Error(`metric filter pattern ${pattern}: not emulated (only JSON patterns are)`);
  const or = body.split("||");
  const terms = or.map((alt) =>
    alt.split("&&").map((t) => {
      const m = /^\(?\s*(\$\.[A-Za-z0-9_.]+)\s*(=|!=|>=|<=|>|<)\s*(?:"([^"]*)"|(-?[0-9.]+))\s*\)?$/.exec(
        t.trim(),
      );
      if (!m) throw new Error(`metric filter pattern ${pattern}: term "${t.trim()}" is not emulated`);
      const [, path, op, text, num] = m as unknown as [
        string,
        string,
        string,
        string | undefined,
        string | undefined,
      ];
      return (doc: Record<string, unknown>) => {
        const v = jsonPath(doc, path);
        if (text !== undefined) return op === "=" ? v === text : op === "!=" ? v !== text : false;
        if (typeof v !== "number") return false;
        const n = Number(num);
        return op === "="
          ? v === n
          : op === "!="
            ? v !== n
            : op === ">"
              ? v > n
              : op === "<"
                ? v < n
                : op === ">="
                  ? v >= n
                  : v <= n;
      };
    }),
  );
  return (doc) => terms.some((all) => all.every((t) => t(doc)));
}

export interface AlarmSpec {
  name: string;
  namespace: string;
  metricName: string;
  dimensions: { Name: string; Value: string }[];
  statistic: string;
  /** Seconds, as in the template. */
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  comparison: string;
  threshold: number;
  treatMissingData: "breaching" | "notBreaching" | "ignore" | "missing";
}

export interface AlarmTransition {
  alarm: string;
  from: AlarmState;
  to: AlarmState;
  at: number;
}

export class LocalCloudWatch {
  readonly datapoints: Datapoint[] = [];
  readonly state = new Map<string, AlarmState>();
  readonly transitions: AlarmTransition[] = [];
  /** Lines on the function's stdout that were not JSON (for the report). */
  invalidEmf = 0;
  /** Called on every state change, as CloudWatch runs the alarm's actions for the new state. */
  onTransition?: (t: AlarmTransition) => void;

  constructor(
    readonly alarms: AlarmSpec[],
    /** Real seconds per template second: 1 / time factor. */
    private readonly scale: number,
  ) {
    for (const a of alarms) this.state.set(a.name, "INSUFFICIENT_DATA");
  }

  put(d: Datapoint): void {
    this.datapoints.push(d);
  }

  /** The log group's metric filters: each matching line becomes a datapoint (no dimension). */
  private readonly filters: { spec: MetricFilterSpec; match: (doc: Record<string, unknown>) => boolean }[] =
    [];

  addMetricFilter(spec: MetricFilterSpec): void {
    this.filters.push({ spec, match: jsonFilterMatcher(spec.pattern) });
  }

  /** One line of the function's log: an EMF document becomes datapoints; so does a line a metric filter matches. */
  ingestLogLine(line: string, at = Date.now()): void {
    const isEmf = line.includes('"_aws"');
    if (!isEmf && (this.filters.length === 0 || !line.startsWith("{"))) return;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      if (isEmf) this.invalidEmf++;
      return;
    }
    for (const f of this.filters) {
      if (!f.match(doc)) continue;
      const value = f.spec.value.startsWith("$.")
        ? Number(jsonPath(doc, f.spec.value))
        : Number(f.spec.value);
      if (Number.isFinite(value))
        this.put({ namespace: f.spec.namespace, name: f.spec.name, dims: {}, value, at });
    }
    if (!isEmf) return;
    const aws = doc._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
        }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const set of directive.Dimensions) {
        const dims = Object.fromEntries(set.map((d) => [d, String(doc[d])]));
        for (const m of directive.Metrics) {
          const raw = doc[m.Name];
          for (const value of Array.isArray(raw) ? raw : [raw]) {
            if (typeof value === "number")
              this.put({
                namespace: directive.Namespace,
                name: m.Name,
                dims,
                value,
                at: aws?.Timestamp ?? at,
              });
          }
        }
      }
    }
  }

  /**
   * Datapoints of one series: namespace, name and exactly this dimension set ("*" as a value: any value
   * of that dimension, as a SEARCH reads them).
   */
  series(namespace: string, name: string, dims: Record<string, string>): Datapoint[] {
    const want = Object.entries(dims).sort(([a], [b]) => a.localeCompare(b));
    return this.datapoints.filter(
      (d) =>
        d.namespace === namespace &&
        d.name === name &&
        Object.keys(d.dims).length === want.length &&
        want.every(([k, v]) => (v === "*" ? d.dims[k] !== undefined : d.dims[k] === v)),
    );
  }

  /** Evaluates every alarm at `now` over complete periods; records state changes. */
  evaluate(now = Date.now()): void {
    for (const a of this.alarms) {
      const next = this.evaluateOne(a, now);
      const prev = this.state.get(a.name) ?? "INSUFFICIENT_DATA";
      if (next !== prev) {
        this.state.set(a.name, next);
        const t = { alarm: a.name, from: prev, to: next, at: now };
        this.transitions.push(t);
        this.onTransition?.(t);
      }
    }
  }

  private evaluateOne(a: AlarmSpec, now: number): AlarmState {
    const periodMs = a.period * 1000 * this.scale;
    const points = this.series(
      a.namespace,
      a.metricName,
      Object.fromEntries(a.dimensions.map((d) => [d.Name, d.Value])),
    );
    const lastEnd = Math.floor(now / periodMs) * periodMs; // the newest complete period ends here
    const values: (number | null)[] = [];
    for (let i = a.evaluationPeriods; i >= 1; i--) {
      const end = lastEnd - (i - 1) * periodMs;
      const inPeriod = points.filter((p) => p.at >= end - periodMs && p.at < end).map((p) => p.value);
      values.push(inPeriod.length ? statistic(a.statistic, inPeriod) : null);
    }
    const breaches = (v: number) => compare(a.comparison, v, a.threshold);
    const needed = a.datapointsToAlarm ?? a.evaluationPeriods;
    const present = values.filter((v): v is number => v !== null);
    const current = this.state.get(a.name) ?? "INSUFFICIENT_DATA";
    if (present.length === 0) {
      switch (a.treatMissingData) {
        case "breaching":
          return "ALARM";
        case "notBreaching":
          return "OK";
        case "ignore":
          return current;
        default:
          return "INSUFFICIENT_DATA";
      }
    }
    let breaching = present.filter(breaches).length;
    const missing = values.length - present.length;
    if (a.treatMissingData === "breaching") breaching += missing;
    return breaching >= needed ? "ALARM" : "OK";
  }
}

export function statistic(stat: string, values: number[]): number {
  switch (stat) {
    case "Maximum":
      return Math.max(...values);
    case "Minimum":
      return Math.min(...values);
    case "Sum":
      return values.reduce((s, v) => s + v, 0);
    case "SampleCount":
      return values.length;
    case "Average":
      return values.reduce((s, v) => s + v, 0) / values.length;
    default: {
      const m = /^p(\d+(?:\.\d+)?)$/.exec(stat);
      if (!m) throw new Error(`statistic ${stat} is not emulated`);
      const sorted = [...values].sort((x, y) => x - y);
      return sorted[
        Math.min(sorted.length - 1, Math.ceil((Number(m[1]) / 100) * sorted.length) - 1)
      ] as number;
    }
  }
}

function compare(op: string, v: number, t: number): boolean {
  switch (op) {
    case "GreaterThanOrEqualToThreshold":
      return v >= t;
    case "GreaterThanThreshold":
      return v > t;
    case "LessThanThreshold":
      return v < t;
    case "LessThanOrEqualToThreshold":
      return v <= t;
    default:
      throw new Error(`comparison ${op} is not emulated`);
  }
}

/** The metric series a dashboard body's widgets plot (the "." shorthand expanded). */
export function widgetSeries(
  body: string,
): { widget: string; namespace: string; name: string; dims: Record<string, string> }[] {
  const doc = JSON.parse(body) as {
    widgets: { type: string; properties?: { title?: string; metrics?: unknown[][] } }[];
    variables?: { type: string; pattern?: string; values?: { value: string }[] }[];
  };
  type Series = { widget: string; namespace: string; name: string; dims: Record<string, string> };
  const out: Series[] = [];
  for (const w of doc.widgets) {
    if (w.type !== "metric") continue;
    let previous: unknown[] = [];
    for (const row of w.properties?.metrics ?? []) {
      const plain = row.filter((x) => typeof x !== "object");
      if (plain.length === 0) {
        // an expression: a SEARCH reads every series of its namespace, metric and dimension keys ("*")
        const expression = (row[0] as { expression?: string } | undefined)?.expression ?? "";
        const m = /^SEARCH\('\{([^,}]+)((?:,[^,}]+)*)\} MetricName="([^"]+)"'/.exec(expression);
        if (m)
          out.push({
            widget: w.properties?.title ?? "(untitled)",
            namespace: m[1] as string,
            name: m[3] as string,
            dims: Object.fromEntries(
              (m[2] ?? "")
                .split(",")
                .filter(Boolean)
                .map((k) => [k, "*"]),
            ),
          });
        continue;
      }
      const expanded = plain.map((x, i) => (x === "." ? previous[i] : x));
      previous = expanded;
      const [namespace, name, ...rest] = expanded as string[];
      const dims: Record<string, string> = {};
      for (let i = 0; i + 1 < rest.length; i += 2) dims[rest[i] as string] = rest[i + 1] as string;
      out.push({
        widget: w.properties?.title ?? "(untitled)",
        namespace: namespace as string,
        name: name as string,
        dims,
      });
    }
  }
  // a pattern variable: the dashboard shows each of its values in turn, so each must have data
  const patterns = (doc.variables ?? []).filter((v) => v.type === "pattern" && v.pattern && v.values?.length);
  return out.flatMap((s) => {
    const v = patterns.find((p) => JSON.stringify(s).includes(p.pattern as string));
    if (!v) return [s];
    return (v.values ?? []).map(
      ({ value }) =>
        JSON.parse(
          JSON.stringify(s)
            .split(v.pattern as string)
            .join(value),
        ) as Series,
    );
  });
}
