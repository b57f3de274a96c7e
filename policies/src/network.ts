/**
 * network.*: egress to iroh relays, NTP configured and reachable, metrics never public.
 */
import { isPublicSource } from "../contract/cidr";
import { HTTPS_PORT, NTP_PORT, NTS_KE_PORT, RELAY_QUIC_PORT } from "../contract/ports";
import { recordOfView } from "./core/checks";
import { publicAdmits, ruleLocation, vmEgressPermitted, judgedPaths } from "./core/network";
import { raw, resourcePolicies, stackPolicies } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE } from "./core/resources";
import { arr, at, bool, isUnknown, num, strings } from "./core/values";

/** iroh relays: QUIC address discovery over UDP, relay traffic over HTTPS. */
export const RELAY_FLOWS: Array<{ proto: string; port: number; what: string }> = [
  { proto: "udp", port: RELAY_QUIC_PORT, what: "iroh relay QUIC address discovery" },
  { proto: "tcp", port: HTTPS_PORT, what: "iroh relays (HTTPS)" },
];

export const [egressRelays, egressRelaysDevtest] = stackPolicies({
  checklistId: "network.egress-relays",
  description:
    "Every zipnet node's firewalls permit outbound UDP 7842 and TCP 443 to the internet (iroh relays), and UDP to the pinned iroh port (direct paths between nodes), cloud defaults included.",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.nodeVms(), (vm) => {
      const paths = judgedPaths(m, vm, ctx);
      if (!paths) return;
      const flows = [...RELAY_FLOWS, ...m.ports(vm).iroh.map((port) => ({ proto: "udp", port, what: "iroh direct paths" }))];
      for (const f of flows) {
        if (!vmEgressPermitted(paths, f.proto, f.port)) {
          ctx.fail(vm.r, "egress", `outbound ${f.proto.toUpperCase()} ${f.port} to 0.0.0.0/0 allowed (${f.what})`, raw("denied by the firewall rules that apply"));
        }
      }
    });
  },
});

export const [ntp, ntpDevtest] = stackPolicies({
  checklistId: "network.ntp",
  description:
    "Time sync on every node (mosaik discovery tolerates 10 s of drift): the boot contract lists time sources, and the firewalls permit outbound NTP (UDP 123) and, with NTS, NTS-KE (TCP 4460).",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.nodeVms(), (vm) => {
      const c = vm.boot.contract;
      if (!c) return;
      const time = at(c, "time");
      if (isUnknown(time)) return;
      const sources = strings(at(time, "sources"));
      if (sources.length === 0) ctx.fail(vm.r, `${vm.boot.contractPath} time.sources`, "at least one time source", at(time, "sources"));
      const paths = judgedPaths(m, vm, ctx);
      if (!paths) return;
      if (!vmEgressPermitted(paths, "udp", NTP_PORT)) ctx.fail(vm.r, "egress", `outbound UDP ${NTP_PORT} (NTP) allowed`, raw("denied by the firewall rules that apply"));
      if (bool(at(time, "nts")) === true && !vmEgressPermitted(paths, "tcp", NTS_KE_PORT)) {
        ctx.fail(vm.r, "egress", `outbound TCP ${NTS_KE_PORT} (NTS key establishment) allowed`, raw("denied by the firewall rules that apply"));
      }
    });
  },
});

export const [metricsPrivate, metricsPrivateDevtest] = stackPolicies({
  checklistId: "network.metrics-private",
  description:
    "The Prometheus metrics port of committee servers and aggregators is never reachable from 0.0.0.0/0, ::/0, *, Internet or any public range wider than /24 (IPv4) or /48 (IPv6), through any rule that applies, cloud defaults included.",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.nodeVms(), (vm) => {
      const paths = judgedPaths(m, vm, ctx);
      if (!paths) return;
      const posture = m.postureOf(vm.r);
      for (const port of m.ports(vm).metrics) {
        for (const path of paths) {
          const per = path.map((l) => publicAdmits(l, "tcp", port));
          if (per.some((x) => x.length === 0)) continue;
          for (const f of per.flat()) {
            const loc = f.rule ? ruleLocation(f.rule) : { subject: f.layer.owner ?? vm.r, path: "networkSecurityGroup" };
            ctx.fail(loc.subject, loc.path, `TCP ${port} (metrics of ${vm.r.name}) reachable from private or narrow scraper ranges only`, raw(f.text), { posture });
          }
        }
      }
    });
  },
});

export const [metricsPort, metricsPortDevtest] = stackPolicies({
  checklistId: "network.metrics-private",
  aspect: "port",
  description:
    "One metrics port: every node's boot contract binds ZIPNET_METRICS and iroh on the ports the posture record names (network.metricsPort, network.irohPort), the ports its firewalls are judged against.",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.nodeVms(), (vm) => {
      const rec = m.recordFor(vm);
      if (!rec) return;
      const boot = m.bootPorts(vm);
      const rm = num(at(rec, "network", "metricsPort"));
      const ri = num(at(rec, "network", "irohPort"));
      if (rm !== undefined && boot.metrics !== undefined && boot.metrics !== rm) {
        ctx.fail(vm.r, `${vm.boot.contractPath} env.ZIPNET_METRICS`, `port ${rm} (the posture record's network.metricsPort)`, raw(`port ${boot.metrics}`));
      }
      if (ri !== undefined && boot.iroh !== undefined && boot.iroh !== ri) {
        ctx.fail(vm.r, `${vm.boot.contractPath} iroh.port`, `${ri} (the posture record's network.irohPort)`, boot.iroh);
      }
    });
  },
});

export const [metricsPrivateRecord, metricsPrivateRecordDevtest] = resourcePolicies({
  checklistId: "network.metrics-private",
  aspect: "record",
  description: "The posture record's metrics scraper sources are private or narrow ranges, never the internet.",
  levels: "split",
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    (arr(at(rec, "network", "metricsSources")) ?? []).forEach((s, i) => {
      if (typeof s === "string" && isPublicSource(s)) ctx.fail(`network.metricsSources[${i}]`, "a private range or a public range of /24 (IPv6 /48) or narrower", s);
    });
  },
});
