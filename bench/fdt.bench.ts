// FDT benchmark: @kdumpkit/fdt against libfdt (C, Debian libfdt-dev) in the same run.
// (a) parse + walk every node and property of a QEMU pseries blob with 2048 CPUs,
// (b) add one CPU node with all its properties in place, 1000 times, into the 8-CPU pseries blob
//     opened with headroom, (c) pack a blob whose blocks have free space between them.
// The C peer is compiled here with gcc into the scratch folder; the big blob is made with QEMU.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EditableFdt, addCpuNode, checkFdt, cpuTemplate, parseFdt } from "../packages/fdt/dist/index.js";
import type { Bench, BenchResult } from "./lib.js";
import { corpusPath } from "../test-support/corpus.js";

const PEER_C = `// libfdt peer for bench/fdt.bench.ts: walk, add-cpu and pack timings in microseconds.
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *b = aligned_alloc(8, (*len + 7) & ~7UL);
  if (fread(b, 1, *len, f) != *len) exit(2);
  fclose(f);
  return b;
}

static volatile unsigned long sink;

// Visit every node and property, touching each name and value length.
static void walk(const void *fdt) {
  unsigned long acc = 0;
  int depth = 0;
  for (int n = 0; n >= 0 && depth >= 0; n = fdt_next_node(fdt, n, &depth)) {
    int len;
    const char *name = fdt_get_name(fdt, n, &len);
    acc += len + (unsigned char)name[0];
    int p;
    fdt_for_each_property_offset(p, fdt, n) {
      const char *pn;
      int pl;
      const void *v = fdt_getprop_by_offset(fdt, p, &pn, &pl);
      acc += pl + (unsigned char)pn[0] + (v != NULL);
    }
  }
  sink = acc;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: peer BIG SMALL GAPPED ADDS ROUNDS\\n"); return 2; }
  size_t blen, slen, glen;
  void *big = slurp(argv[1], &blen);
  void *small = slurp(argv[2], &slen);
  void *gapped = slurp(argv[3], &glen);
  int adds = atoi(argv[4]), rounds = atoi(argv[5]);

  double walk_best = 1e30;
  for (int r = 0; r < rounds * 2; r++) {
    double t0 = now_us();
    walk(big);
    double t = now_us() - t0;
    if (t < walk_best) walk_best = t;
  }

  // add-cpu: template = last cpu node of /cpus in SMALL, copied with reg / server numbers changed.
  int cpus = fdt_path_offset(small, "/cpus");
  int last = -1, child;
  fdt_for_each_subnode(child, small, cpus) {
    const char *dt = fdt_getprop(small, child, "device_type", NULL);
    if (dt && !strcmp(dt, "cpu")) last = child;
  }
  const char *pnames[128];
  const void *pvals[128];
  int plens[128], np = 0, p;
  fdt_for_each_property_offset(p, small, last) {
    pvals[np] = fdt_getprop_by_offset(small, p, &pnames[np], &plens[np]);
    np++;
  }
  char base[64];
  const char *tn = fdt_get_name(small, last, NULL);
  snprintf(base, sizeof base, "%.*s", (int)(strchr(tn, '@') - tn), tn);
  size_t bufsize = slen + (size_t)adds * 2048 + 65536;
  void *buf = aligned_alloc(8, (bufsize + 7) & ~7UL);
  double add_best = 1e30;
  for (int r = 0; r < rounds; r++) {
    if (fdt_open_into(small, buf, bufsize)) return 3;
    double t0 = now_us();
    for (int i = 0; i < adds; i++) {
      int id = 0x1000 + i;
      char name[96];
      snprintf(name, sizeof name, "%s@%x", base, id);
      int c = fdt_add_subnode(buf, fdt_path_offset(buf, "/cpus"), name);
      if (c < 0) { fprintf(stderr, "add_subnode: %s\\n", fdt_strerror(c)); return 3; }
      for (int k = 0; k < np; k++) {
        int err;
        if (!strcmp(pnames[k], "reg") || !strcmp(pnames[k], "ibm,ppc-interrupt-server#s")) {
          fdt32_t v = cpu_to_fdt32(id);
          err = fdt_setprop(buf, c, pnames[k], &v, 4);
        } else {
          err = fdt_setprop(buf, c, pnames[k], pvals[k], plens[k]);
        }
        if (err) { fprintf(stderr, "setprop: %s\\n", fdt_strerror(err)); return 3; }
      }
    }
    double t = now_us() - t0;
    if (t < add_best) add_best = t;
  }

  // pack: GAPPED (the big blob with free space between its blocks) copied (not timed), then fdt_pack.
  void *pbuf = aligned_alloc(8, (glen + 7) & ~7UL);
  double pack_best = 1e30;
  for (int r = 0; r < rounds * 4; r++) {
    memcpy(pbuf, gapped, glen);
    double t0 = now_us();
    if (fdt_pack(pbuf)) return 4;
    double t = now_us() - t0;
    if (t < pack_best) pack_best = t;
  }
  printf("{\\"walk_us\\":%f,\\"add_us\\":%f,\\"adds\\":%d,\\"pack_us\\":%f,\\"packed\\":%u}\\n", walk_best, add_best, adds, pack_best,
         fdt_totalsize(pbuf));
  return 0;
}
`;

function makeBigBlob(path: string, log: (l: string) => void): void {
  if (existsSync(path)) return;
  // -vga none: without it QEMU stops looking for a VGA BIOS before dumping the tree.
  const args = ["-M", `pseries,dumpdtb=${path}`, "-smp", "2048", "-nographic", "-nic", "none", "-vga", "none"];
  log(`qemu-system-ppc64 ${args.join(" ")}`);
  execFileSync("qemu-system-ppc64", args, { stdio: "ignore", timeout: 300_000 });
}

/** The same tree with 64 KiB of free space between rsvmap, structure and strings (so pack has work). */
function makeGapped(big: Uint8Array): Uint8Array {
  const l = checkFdt(big);
  const gap = 65536;
  const rsv = l.rsvmapEnd - l.rsvmapStart;
  const st = l.structEnd - l.structStart;
  const sg = l.stringsEnd - l.stringsStart;
  const structAt = 40 + rsv + gap;
  const stringsAt = structAt + st + gap;
  const out = new Uint8Array(stringsAt + sg + gap);
  out.set(big.subarray(0, 40));
  out.set(big.subarray(l.rsvmapStart, l.rsvmapEnd), 40);
  out.set(big.subarray(l.structStart, l.structEnd), structAt);
  out.set(big.subarray(l.stringsStart, l.stringsEnd), stringsAt);
  const v = new DataView(out.buffer);
  v.setUint32(4, out.length);
  v.setUint32(8, structAt);
  v.setUint32(12, stringsAt);
  v.setUint32(16, 40);
  return out;
}

function best(rounds: number, fn: () => number): number {
  let b = Infinity;
  for (let r = 0; r < rounds; r++) b = Math.min(b, fn());
  return b;
}

function us(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e3;
}

let sink = 0;

const bench: Bench = async (ctx) => {
  const bigPath = join(ctx.scratch, "pseries-smp2048.dtb");
  makeBigBlob(bigPath, ctx.log);
  const big = new Uint8Array(readFileSync(bigPath));
  const smallPath = corpusPath("fdt/qemu/pseries-smp8.dtb");
  const small = new Uint8Array(readFileSync(smallPath));
  const gapped = makeGapped(big);
  const gappedPath = join(ctx.scratch, "pseries-smp2048-gapped.dtb");
  writeFileSync(gappedPath, gapped);

  const src = join(ctx.scratch, "fdt-peer.c");
  const exe = join(ctx.scratch, "fdt-peer");
  writeFileSync(src, PEER_C);
  execFileSync("gcc", ["-O2", "-o", exe, src, "-lfdt"]);

  const adds = Math.max(10, Math.round(1000 * ctx.scale));
  const rounds = ctx.scale < 1 ? 2 : 7;
  const peerCmd = `${exe} ${bigPath} ${smallPath} ${gappedPath} ${adds} ${rounds}`;
  const peer = JSON.parse(execFileSync(exe, [bigPath, smallPath, gappedPath, String(adds), String(rounds)], { encoding: "utf8" })) as {
    walk_us: number;
    add_us: number;
    pack_us: number;
    packed: number;
  };

  // (a) parse + walk: build the tree, then visit every node and property (name + value length).
  const walkOnce = () =>
    us(() => {
      const fdt = parseFdt(big);
      let acc = 0;
      const stack = [fdt.root];
      while (stack.length) {
        const n = stack.pop()!;
        acc += n.name.length;
        for (const p of n.properties) acc += p.name.length + p.length;
        for (const c of n.children) stack.push(c);
      }
      sink += acc;
    });
  for (let i = 0; i < 3; i++) walkOnce();
  const walkUs = best(rounds * 2, walkOnce);

  // (b) add-cpu: the same template, reg and server numbers as the peer; headroom as the peer's.
  const bufsize = small.length + adds * 2048 + 65536;
  const addOnce = () => {
    const blob = EditableFdt.openInto(small, bufsize);
    const t = cpuTemplate(blob);
    return us(() => {
      for (let i = 0; i < adds; i++) addCpuNode(blob, t, 0x1000 + i);
    });
  };
  addOnce();
  const addUs = best(rounds, addOnce);

  // (c) pack the gapped blob (opening it is not timed, as for the peer).
  // One working buffer refilled each round, as the peer does (a fresh allocation would add page faults).
  const work = new Uint8Array(gapped.length);
  const packOnce = () => {
    work.set(gapped);
    const blob = EditableFdt.wrap(work);
    return us(() => {
      blob.pack();
    });
  };
  for (let i = 0; i < 3; i++) packOnce();
  const packUs = best(rounds * 4, packOnce);
  const packedOk = EditableFdt.wrap(gapped.slice()).pack().length === peer.packed;
  ctx.log(`walk ${walkUs.toFixed(0)} µs vs libfdt ${peer.walk_us.toFixed(0)} µs; add ${(addUs / adds).toFixed(1)} µs/node vs ${(peer.add_us / adds).toFixed(1)}; pack ${packUs.toFixed(0)} µs vs ${peer.pack_us.toFixed(0)} (same size: ${packedOk})`);
  void sink;

  const results: BenchResult[] = [
    {
      id: "fdt.walk.ratio",
      value: walkUs / peer.walk_us,
      unit: "× libfdt",
      peer: "libfdt (fdt_next_node + fdt_for_each_property_offset, gcc -O2)",
      peerValue: 1,
      command: `parseFdt + visit every node/property of ${bigPath} (${big.length} bytes); peer: ${peerCmd}`,
      target: "≤ 3",
      meetsTarget: walkUs / peer.walk_us <= 3,
      note: `ours ${walkUs.toFixed(0)} µs (builds the whole tree), libfdt ${peer.walk_us.toFixed(0)} µs (walks in place); best of ${rounds * 2} runs each.`,
    },
    {
      id: "fdt.add-cpu.ratio",
      value: addUs / peer.add_us,
      unit: "× libfdt",
      peer: "libfdt (fdt_add_subnode + fdt_setprop per property, gcc -O2)",
      peerValue: 1,
      command: `${adds} × addCpuNode into pseries-smp8.dtb opened with ${bufsize} bytes; peer: ${peerCmd}`,
      target: "< 1",
      meetsTarget: addUs / peer.add_us < 1,
      note: `ours ${(addUs / adds).toFixed(1)} µs/node, libfdt ${(peer.add_us / adds).toFixed(1)} µs/node. We splice each node once, after the existing CPU nodes; libfdt splices the node and then every property, each moving the rest of the blob.`,
    },
    {
      id: "fdt.add-cpu.us",
      value: addUs / adds,
      unit: "µs/node",
      peer: "libfdt",
      peerValue: peer.add_us / adds,
      command: `${adds} × addCpuNode into pseries-smp8.dtb with headroom`,
      target: "< 50",
      meetsTarget: addUs / adds < 50,
    },
    {
      id: "fdt.pack.ratio",
      value: packUs / peer.pack_us,
      unit: "× libfdt",
      peer: "libfdt fdt_pack (gcc -O2)",
      peerValue: 1,
      command: `EditableFdt.pack() of the 2048-CPU blob with 64 KiB gaps between blocks (${gapped.length} bytes); peer: ${peerCmd}`,
      target: "≤ 3",
      meetsTarget: packUs / peer.pack_us <= 3,
      note: `ours ${packUs.toFixed(0)} µs, libfdt ${peer.pack_us.toFixed(0)} µs; packed sizes equal: ${packedOk}.`,
    },
  ];
  return results;
};

export default bench;
