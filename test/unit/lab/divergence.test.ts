/** The lab's divergences: each says what compare must find, on the node it was made on. */
import { describe, expect, it } from "vitest";
import { DIVERGENCE_KINDS, divergence } from "../../../lab/divergence.ts";

describe("lab divergences", () => {
  it("a row only on the node is missing on the other; a row deleted on the node is missing on it", () => {
    expect(divergence("row-insert", "b").expected).toEqual({
      table: "lab.drill",
      kind: "missing-on-a",
      id: 900001,
      ids: [900001],
    });
    expect(divergence("row-delete", "a").expected).toEqual({
      table: "lab.drill",
      kind: "missing-on-a",
      id: 10,
      ids: [10],
    });
    expect(divergence("table-missing", "a").expected).toEqual({
      table: "lab.drill_only_here",
      drift: "missing-on-b",
    });
  });

  it("every kind has its SQL and its expectation, each row kind on its own key", () => {
    const ids = DIVERGENCE_KINDS.map((k) => divergence(k, "b").expected).flatMap((e) =>
      "ids" in e ? e.ids : [],
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(25);
    for (const k of DIVERGENCE_KINDS)
      expect(divergence(k, "a").sql).toMatch(/^(INSERT|DELETE|UPDATE|ALTER|CREATE) /);
  });
});
