# Reads physical memory with drgn (Debian python3-drgn) for the vmcore interop test.
# stdin: {"path": ..., "reads": [["0x<addr>", size], ...]}
# stdout: one entry per read: {"hex": "<bytes>"} or {"fault": "<message>", "address": "0x<first address
# drgn could not read>"} (drgn.FaultError);
# any other exception is reported as {"error": "<type>: <message>"} so the test can fail on it.
import json
import sys

import drgn

request = json.load(sys.stdin)
prog = drgn.Program()
prog.set_core_dump(request["path"])
out = []
for address, size in request["reads"]:
    try:
        out.append({"hex": prog.read(int(address, 16), size, True).hex()})
    except drgn.FaultError as e:
        out.append({"fault": str(e), "address": hex(e.address)})
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        out.append({"error": f"{type(e).__name__}: {e}"})
json.dump({"flags": str(prog.flags), "results": out}, sys.stdout)
