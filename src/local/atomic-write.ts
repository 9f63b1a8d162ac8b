/**
 * Write-then-rename for the data dir's small state files (runtime.json, owner.json): a
 * reader never sees half a file and a crash never leaves one. A write that fails (a full
 * disk) removes its temp file, so failed commands leave nothing behind.
 */
import { rename, rm, writeFile } from 'node:fs/promises';

export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
