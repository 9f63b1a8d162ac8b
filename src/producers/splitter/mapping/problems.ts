/** Problems found while compiling a mapping, collected so one `MappingError` names them all. */
import { MappingError, type MappingProblem } from '../../../shared/sources/errors.ts';

export class Problems {
  readonly list: MappingProblem[] = [];

  add(path: string, problem: string, expected?: string): void {
    this.list.push({ path, problem, expected });
  }

  /** Throws when any problem was found. */
  check(origin: string): void {
    if (this.list.length > 0) throw new MappingError(origin, this.list);
  }
}
