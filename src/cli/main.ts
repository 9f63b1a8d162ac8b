/** `dubegrid`: the binary's entry (bin/dubegrid.js imports it). */
import { buildProgram } from './program.ts';

await buildProgram().parseAsync(process.argv);
