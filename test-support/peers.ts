// The real tools we test against. With CI=true a missing peer fails its tests; locally the tests
// are skipped with a message naming the Debian package that provides the tool.
import { spawnSync } from "node:child_process";
import { describe, it } from "vitest";

export interface Peer {
  /** What the tests call it, e.g. "readelf". */
  name: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** Returns true when the peer can be used on this machine. */
  available: () => boolean;
}

const inCi = process.env.CI === "true" || process.env.CI === "1";

function commandWorks(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}

/** A command-line peer, probed by running it with `probeArgs` (default `--version`). */
export function commandPeer(command: string, debianPackage: string, probeArgs = ["--version"]): Peer {
  return { name: command, debianPackage, available: () => commandWorks(command, probeArgs) };
}

/** A Python module that loads only in Debian's /usr/bin/python3. */
export function pythonModulePeer(module: string, debianPackage: string): Peer {
  return {
    name: `python3 -c 'import ${module}'`,
    debianPackage,
    available: () => commandWorks("/usr/bin/python3", ["-c", `import ${module}`]),
  };
}

export const peers = {
  readelf: commandPeer("readelf", "binutils"),
  euReadelf: commandPeer("eu-readelf", "elfutils"),
  dtc: commandPeer("dtc", "device-tree-compiler"),
  fdtdump: commandPeer("fdtdump", "device-tree-compiler", ["-h"]),
  fdtget: commandPeer("fdtget", "device-tree-compiler", ["-h"]),
  pylibfdt: pythonModulePeer("libfdt", "python3-libfdt"),
  drgn: pythonModulePeer("drgn", "python3-drgn"),
  makedumpfile: commandPeer("makedumpfile", "makedumpfile", ["-v"]),
} satisfies Record<string, Peer>;

/**
 * `describe` that needs real tools. When one is missing: in CI the block becomes one failing test
 * naming the package to install; locally it is skipped with the same message.
 */
export function describeWithPeers(title: string, needed: Peer[], body: () => void): void {
  const missing = needed.filter((p) => !p.available());
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const message = `missing peer tool(s): ${missing
    .map((p) => `${p.name} (apt-get install ${p.debianPackage})`)
    .join(", ")}`;
  if (inCi) {
    describe(title, () => {
      it("has its peer tools installed", () => {
        throw new Error(message);
      });
    });
  } else {
    console.warn(`[skipped] ${title}: ${message}`);
    describe.skip(`${title} — ${message}`, body);
  }
}
