import { describe, expect, it } from "vitest";
import { addResource, byName, caught, editBootContract, loadPlan, record, remove, AZURE_MAINNET } from "./harness";

describe("the metrics port has one source: the posture record", () => {
  it("a boot contract binding 9100 with a firewall admitting 9100, while the record says 9464: mandatory in production", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    editBootContract(byName(plan, "c1-vm"), (c) => (c.env.ZIPNET_METRICS = "0.0.0.0:9100"));
    byName(plan, "c1-fw-metrics").inputs.allows = [{ protocol: "tcp", ports: ["9100"] }];
    const port = await caught(plan, "network.metrics-private");
    expect(port.map((d) => `${d.policy}: ${d.message}`)).toContain(
      "network.metrics-private:port: c1-vm: metadata.user-data env.ZIPNET_METRICS: expected port 9464 (the posture record's network.metricsPort), found port 9100",
    );
    // and the firewall admitting 9100 is an ingress leak: only the record's port is allowed
    expect((await caught(plan, "committee.ingress")).map((d) => d.message)).toEqual([
      "c1-fw-metrics: allows[0]: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c1-vm, found allow TCP 9100 from 203.0.113.10/32, 10.20.0.0/16 at priority 1000",
    ]);
  });
});

describe("network.egress-relays", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "network.egress-relays")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "network.egress-relays", "advisory")).toEqual([]);
  });

  it("GCP: catches UDP egress removed (the deny-all egress then blocks relays and direct paths)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    remove(plan, "c1-fw-udp-out");
    remove(plan, "c1-fw-udp-out-v6");
    expect((await caught(plan, "network.egress-relays")).map((d) => d.message)).toEqual([
      "c1-vm: egress: expected outbound UDP 7842 to 0.0.0.0/0 allowed (iroh relay QUIC address discovery), found denied by the firewall rules that apply",
      "c1-vm: egress: expected outbound UDP 41641 to 0.0.0.0/0 allowed (iroh direct paths), found denied by the firewall rules that apply",
    ]);
  });

  it("GCP: catches a higher-priority deny of TCP 443", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const base = byName(plan, "c3-fw-https-out");
    addResource(plan, base, base.type, "c3-fw-deny-https", { network: base.inputs.network, direction: "EGRESS", priority: 100, denies: [{ protocol: "tcp", ports: ["443"] }], destinationRanges: ["0.0.0.0/0"] });
    expect((await caught(plan, "network.egress-relays")).map((d) => d.message)).toEqual([
      "c3-vm: egress: expected outbound TCP 443 to 0.0.0.0/0 allowed (iroh relays (HTTPS)), found denied by the firewall rules that apply",
    ]);
  });

  it("Azure: catches UDP egress removed (the NSG's deny-all outbound wins)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const nsg = byName(plan, "c2-nsg").inputs;
    nsg.securityRules = nsg.securityRules.filter((r: any) => r.name !== "allow-udp-out");
    expect((await caught(plan, "network.egress-relays")).map((d) => d.message)).toHaveLength(2);
  });

  it("AWS: catches HTTPS egress removed from the security group (devtest: advisory)", async () => {
    const plan = await loadPlan("acme.preview");
    const sg = byName(plan, "pagg-sg").inputs;
    sg.egress = sg.egress.filter((e: any) => e.fromPort !== 443);
    expect((await caught(plan, "network.egress-relays", "advisory")).map((d) => d.message)).toEqual([
      "pagg-vm: egress: expected outbound TCP 443 to 0.0.0.0/0 allowed (iroh relays (HTTPS)), found denied by the firewall rules that apply",
    ]);
  });
});

describe("network.ntp", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "network.ntp")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "network.ntp", "advisory")).toEqual([]);
  });

  it("catches a boot contract without time sources and blocked NTS-KE egress", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    editBootContract(byName(plan, "c2-vm"), (c) => (c.time.sources = []));
    remove(plan, "c1-fw-nts-out");
    expect((await caught(plan, "network.ntp")).map((d) => d.message)).toEqual([
      "c1-vm: egress: expected outbound TCP 4460 (NTS key establishment) allowed, found denied by the firewall rules that apply",
      "c2-vm: userData time.sources: expected at least one time source, found []",
    ]);
  });

  it("catches blocked NTP (UDP 123) egress on AWS", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const sg = byName(plan, "agg-sg").inputs;
    sg.egress = sg.egress.map((e: any) => (e.protocol === "udp" ? { ...e, fromPort: 1024 } : e));
    expect((await caught(plan, "network.ntp")).map((d) => d.message)).toEqual([
      "agg-vm: egress: expected outbound UDP 123 (NTP) allowed, found denied by the firewall rules that apply",
    ]);
  });
});

describe("network.metrics-private", () => {
  it("passes the unmutated plans (a public /32 scraper is fine)", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "network.metrics-private")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "network.metrics-private", "advisory")).toEqual([]);
  });

  it("GCP: catches metrics opened to 0.0.0.0/0 and to ::/0", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c1-fw-metrics").inputs.sourceRanges.push("0.0.0.0/0");
    byName(plan, "c3-fw-metrics").inputs.sourceRanges = ["::/0"];
    expect((await caught(plan, "network.metrics-private")).map((d) => d.message)).toEqual([
      "c1-fw-metrics: allows[0]: expected TCP 9464 (metrics of c1-vm) reachable from private or narrow scraper ranges only, found allow TCP 9464 from 203.0.113.10/32, 10.20.0.0/16, 0.0.0.0/0 at priority 1000",
      "c3-fw-metrics: allows[0]: expected TCP 9464 (metrics of c3-vm) reachable from private or narrow scraper ranges only, found allow TCP 9464 from ::/0 at priority 1000",
    ]);
  });

  it("GCP: catches a rule admitting every TCP port from a wide public range", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const base = byName(plan, "c1-fw-iroh");
    addResource(plan, base, base.type, "c1-fw-tcp", { network: base.inputs.network, direction: "INGRESS", priority: 900, allows: [{ protocol: "tcp" }], sourceRanges: ["8.0.0.0/8"] });
    expect((await caught(plan, "network.metrics-private")).map((d) => d.message)).toEqual([
      "c1-fw-tcp: allows[0]: expected TCP 9464 (metrics of c1-vm) reachable from private or narrow scraper ranges only, found allow TCP all ports from 8.0.0.0/8 at priority 900",
    ]);
  });

  it("Azure: catches metrics opened to * and to Internet", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const rule = byName(plan, "c2-nsg").inputs.securityRules.find((r: any) => r.name === "allow-metrics");
    rule.sourceAddressPrefixes = ["Internet"];
    expect((await caught(plan, "network.metrics-private")).map((d) => d.message)).toEqual([
      "c2-nsg: securityRules[1] (allow-metrics): expected TCP 9464 (metrics of c2-vm) reachable from private or narrow scraper ranges only, found allow TCP 9464 from Internet at priority 110",
    ]);
    delete rule.sourceAddressPrefixes;
    rule.sourceAddressPrefix = "*";
    expect(await caught(plan, "network.metrics-private")).toHaveLength(1);
  });

  it("AWS: catches the aggregator's metrics opened to 0.0.0.0/0", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "agg-sg").inputs.ingress[1].cidrBlocks.push("0.0.0.0/0");
    expect((await caught(plan, "network.metrics-private")).map((d) => d.message)).toEqual([
      "agg-sg: ingress[1]: expected TCP 9464 (metrics of agg-vm) reachable from private or narrow scraper ranges only, found allow TCP 9464 from 203.0.113.10/32, 10.20.0.0/16, 0.0.0.0/0 at priority 0",
    ]);
  });

  it("catches a public scraper range in the posture record", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    record(plan).network.metricsSources.push("0.0.0.0/0");
    expect((await caught(plan, "network.metrics-private")).map((d) => d.message)).toEqual([
      'acme.mainnet: network.metricsSources[2]: expected a private range or a public range of /24 (IPv6 /48) or narrower, found "0.0.0.0/0"',
    ]);
  });
});
