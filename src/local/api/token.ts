/**
 * The embedded API's token: created at random by the first `up` in
 * `<data dir>/api-token`, readable by its owner only (0600), and reused after.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { newToken } from '../../api/auth.ts';

export async function readOrCreateToken(file: string): Promise<string> {
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing) {
      await chmod(file, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = newToken();
  // `wx`: two stacks starting at once cannot both write one; the loser reads the winner's
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw err;
  }
  return token;
}
