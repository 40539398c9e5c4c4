// Where the printk buffer lives and how its structures are laid out, read from VMCOREINFO
// (reference §3.3: struct offsets and sizes always come from VMCOREINFO, never from a header
// compiled here, because they change between kernel versions and configurations).
import type { Vmcoreinfo } from "@kdumpkit/elf";
import { AnalyzerError } from "../errors.js";

/** Layout of the lockless printk ring buffer (Linux ≥ 5.10, `SYMBOL(prb)`), all values from VMCOREINFO. */
export interface LocklessLayout {
  kind: "lockless";
  /** Address of the `prb` pointer variable (read one word there to find the ring buffer). */
  prb: bigint;
  printk_ringbuffer: { size: number; desc_ring: number; text_data_ring: number };
  prb_desc_ring: { count_bits: number; descs: number; infos: number; head_id: number; tail_id: number };
  prb_desc: { size: number; state_var: number; text_blk_lpos: number };
  prb_data_blk_lpos: { begin: number; next: number };
  printk_info: { size: number; seq: number; ts_nsec: number; text_len: number; caller_id: number | undefined };
  prb_data_ring: { size_bits: number; data: number; head_lpos: number | undefined; tail_lpos: number | undefined };
  /** OFFSET(atomic_long_t.counter), 0 when absent (it is 0 in every kernel). */
  atomic_long_counter: number;
}

/** Layout of the pre-5.10 variable-length record buffer (`SYMBOL(log_buf)`), from VMCOREINFO. */
export interface LegacyLayout {
  kind: "legacy";
  /** Addresses of the variables `log_buf` (a pointer), `log_buf_len`, `log_first_idx`, `log_next_idx` (u32). */
  log_buf: bigint;
  log_buf_len: bigint;
  log_first_idx: bigint;
  log_next_idx: bigint;
  printk_log: { size: number; ts_nsec: number; len: number; text_len: number; dict_len: number | undefined; caller_id: number | undefined };
}

/** Either layout. */
export type PrintkLayout = LocklessLayout | LegacyLayout;

function noSymbols(what: string): AnalyzerError {
  return new AnalyzerError("E_NO_PRINTK_SYMBOLS", `VMCOREINFO lacks ${what}: cannot locate the kernel log`);
}

/**
 * Reads the printk layout from VMCOREINFO: the lockless ring buffer when `SYMBOL(prb)` exists
 * (makedumpfile's choice, reference §4.2), else the legacy `log_buf` records.
 *
 * @throws AnalyzerError `E_NO_PRINTK_SYMBOLS` when neither set of keys is complete;
 *   `E_BAD_PRINTK_BUFFER` when offsets do not fit inside their structure sizes.
 */
export function printkLayout(info: Vmcoreinfo | undefined): PrintkLayout {
  if (!info) throw noSymbols("the VMCOREINFO note itself");
  const need = (map: Map<string, bigint>, kind: string, key: string): number => {
    const v = map.get(key);
    if (v === undefined) throw noSymbols(`${kind}(${key})`);
    if (v < 0n || v > 0xffff_ffffn) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `VMCOREINFO ${kind}(${key})=${v} is not a plausible structure offset or size`);
    return Number(v);
  };
  const optional = (map: Map<string, bigint>, kind: string, key: string): number | undefined => (map.has(key) ? need(map, kind, key) : undefined);
  const off = (key: string) => need(info.offsets, "OFFSET", key);
  const size = (key: string) => need(info.sizes, "SIZE", key);
  const prb = info.symbols.get("prb");
  if (prb !== undefined) {
    const layout: LocklessLayout = {
      kind: "lockless",
      prb,
      printk_ringbuffer: { size: size("printk_ringbuffer"), desc_ring: off("printk_ringbuffer.desc_ring"), text_data_ring: off("printk_ringbuffer.text_data_ring") },
      prb_desc_ring: {
        count_bits: off("prb_desc_ring.count_bits"),
        descs: off("prb_desc_ring.descs"),
        infos: off("prb_desc_ring.infos"),
        head_id: off("prb_desc_ring.head_id"),
        tail_id: off("prb_desc_ring.tail_id"),
      },
      prb_desc: { size: size("prb_desc"), state_var: off("prb_desc.state_var"), text_blk_lpos: off("prb_desc.text_blk_lpos") },
      prb_data_blk_lpos: { begin: off("prb_data_blk_lpos.begin"), next: off("prb_data_blk_lpos.next") },
      printk_info: {
        size: size("printk_info"),
        seq: off("printk_info.seq"),
        ts_nsec: off("printk_info.ts_nsec"),
        text_len: off("printk_info.text_len"),
        caller_id: optional(info.offsets, "OFFSET", "printk_info.caller_id"),
      },
      prb_data_ring: {
        size_bits: off("prb_data_ring.size_bits"),
        data: off("prb_data_ring.data"),
        head_lpos: optional(info.offsets, "OFFSET", "prb_data_ring.head_lpos"),
        tail_lpos: optional(info.offsets, "OFFSET", "prb_data_ring.tail_lpos"),
      },
      atomic_long_counter: optional(info.offsets, "OFFSET", "atomic_long_t.counter") ?? 0,
    };
    return checkLockless(layout);
  }
  const logBuf = info.symbols.get("log_buf");
  if (logBuf !== undefined) {
    const sym = (name: string) => {
      const v = info.symbols.get(name);
      if (v === undefined) throw noSymbols(`SYMBOL(${name})`);
      return v;
    };
    const layout: LegacyLayout = {
      kind: "legacy",
      log_buf: logBuf,
      log_buf_len: sym("log_buf_len"),
      log_first_idx: sym("log_first_idx"),
      log_next_idx: sym("log_next_idx"),
      printk_log: {
        size: size("printk_log"),
        ts_nsec: off("printk_log.ts_nsec"),
        len: off("printk_log.len"),
        text_len: off("printk_log.text_len"),
        dict_len: optional(info.offsets, "OFFSET", "printk_log.dict_len"),
        caller_id: optional(info.offsets, "OFFSET", "printk_log.caller_id"),
      },
    };
    const p = layout.printk_log;
    inside("printk_log", p.size, [
      ["ts_nsec", p.ts_nsec, 8],
      ["len", p.len, 2],
      ["text_len", p.text_len, 2],
      ["dict_len", p.dict_len, 2],
      ["caller_id", p.caller_id, 4],
    ]);
    return layout;
  }
  throw noSymbols("SYMBOL(prb) and SYMBOL(log_buf)");
}

/** Throws E_BAD_PRINTK_BUFFER unless every `[name, offset, width]` fits in a structure of `size` bytes. */
function inside(struct: string, size: number, fields: [string, number | undefined, number][]): void {
  for (const [name, offset, width] of fields) {
    if (offset !== undefined && offset + width > size) {
      throw new AnalyzerError("E_BAD_PRINTK_BUFFER", `VMCOREINFO OFFSET(${struct}.${name})=${offset} does not fit in SIZE(${struct})=${size}`);
    }
  }
}

function checkLockless(l: LocklessLayout): LocklessLayout {
  // Word-sized fields are checked against 8 bytes: VMCOREINFO sizes are those of the dumped kernel,
  // and a 32-bit kernel's smaller words only make them fit more easily.
  const rb = l.printk_ringbuffer;
  inside("printk_ringbuffer", rb.size, [
    ["desc_ring", rb.desc_ring + Math.max(l.prb_desc_ring.tail_id, l.prb_desc_ring.head_id, l.prb_desc_ring.infos, l.prb_desc_ring.descs), 4],
    ["text_data_ring", rb.text_data_ring + Math.max(l.prb_data_ring.data, l.prb_data_ring.size_bits), 4],
  ]);
  inside("prb_desc", l.prb_desc.size, [
    ["state_var", l.prb_desc.state_var + l.atomic_long_counter, 4],
    ["text_blk_lpos", l.prb_desc.text_blk_lpos + Math.max(l.prb_data_blk_lpos.begin, l.prb_data_blk_lpos.next), 4],
  ]);
  const i = l.printk_info;
  inside("printk_info", i.size, [
    ["seq", i.seq, 8],
    ["ts_nsec", i.ts_nsec, 8],
    // text_len (u16) is followed by facility (u8) and flags:5/level:3 (u8) in every version.
    ["text_len", i.text_len, 4],
    ["caller_id", i.caller_id, 4],
  ]);
  if (l.prb_desc.size === 0 || i.size === 0) throw new AnalyzerError("E_BAD_PRINTK_BUFFER", "VMCOREINFO gives a zero SIZE(prb_desc) or SIZE(printk_info)");
  return l;
}
