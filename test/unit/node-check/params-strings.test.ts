/** The node check's parameters as strings: unset and empty ones left out, numbers as text, 0 kept. */
import { describe, expect, it } from "vitest";
import { paramStrings } from "../../../shared/node-check/params.ts";

describe("paramStrings", () => {
  it("keeps what is set, as text, and drops undefined and empty values", () => {
    expect(
      paramStrings({
        Vip: "192.0.2.100",
        Interface: "",
        MysqlPort: 3306,
        Since: 0,
        ArpCount: undefined,
        NotifyLog: "/var/log/k",
      }),
    ).toEqual({ Vip: "192.0.2.100", MysqlPort: "3306", Since: "0", NotifyLog: "/var/log/k" });
  });
});
