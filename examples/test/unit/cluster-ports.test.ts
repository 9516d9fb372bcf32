import { describe, expect, it } from "vitest";
import { clusterPorts } from "../../src/start-cluster.js";

describe("CLUSTER_PORTS (npm run start:cluster)", () => {
  it("defaults to 5000 and 5001, and reads a comma-separated list", () => {
    expect(clusterPorts()).toEqual([5000, 5001]);
    expect(clusterPorts("0, 0")).toEqual([0, 0]);
    expect(clusterPorts("7000,7001,7002")).toEqual([7000, 7001, 7002]);
  });

  it("refuses one port, a non-number or a port out of range", () => {
    for (const raw of ["5000", "5000,x", "5000,70000", "5000,-1", "5000,1.5", ""]) {
      expect(() => clusterPorts(raw), raw).toThrow(/CLUSTER_PORTS/);
    }
  });
});
