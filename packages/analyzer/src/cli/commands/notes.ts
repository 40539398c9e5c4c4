import { defineCommand } from "../command-spec.js";

/** `kdumpkit notes DUMP`: every note with its verdict. */
export const notesCommand = defineCommand({
  name: "notes",
  describe: "Every ELF note: segment, owner, type, size and verdict (valid, uninitialized, truncated, malformed)",
  options: { json: { type: "boolean", describe: "print the report as JSON" } },
  examples: [["$0 notes vmcore", "list the notes"]],
  async run(args) {
    const [{ openInput, closeInput }, { notes }, io] = await Promise.all([import("../../input.js"), import("../../notes.js"), import("../io.js")]);
    const input = await openInput(args.dump);
    try {
      const report = notes(input);
      if (args.json) io.printJson(report);
      else {
        const { renderNotes } = await import("../text/notes-text.js");
        io.printText(renderNotes(report));
      }
      return report.verdicts.malformed + report.verdicts.truncated + report.verdicts.uninitialized > 0 ? 1 : 0;
    } finally {
      closeInput(input);
    }
  },
});
