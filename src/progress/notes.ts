/** Notes gathered while a command ran (leftovers of a killed run removed …), printed on stderr once its tasks are done. */
export function printNotes(notes: readonly string[]): void {
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
}
