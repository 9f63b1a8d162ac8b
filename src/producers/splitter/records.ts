/**
 * The reader seam of the splitter core: a byte stream in, records with their line
 * numbers out, a chunk at a time. The CSV reader (csv.ts) and the JSON readers
 * (json-records.ts) implement it; the core drives whichever one the object needs and
 * never holds more than one chunk's records.
 */

/**
 * Why a reader cannot go on (the split stops there): a record too long to hold, a
 * document whose frame is broken, or a document without the records it should have.
 */
export interface ReaderStop {
  readonly reason: 'oversized_record' | 'invalid_json' | 'unknown_format';
  /** The text at fault as far as it was kept (the first 64 KiB at most); null when there is none. */
  readonly raw: string | null;
  /** Line where it starts (1-based); null for the object as a whole. */
  readonly line: number | null;
  readonly message: string;
}

export interface RecordReader<Item> {
  /** Reads a chunk; returns the records it completed. */
  write(chunk: Buffer): Item[];
  /** Ends the input; returns the last records. Rejects only when the input itself failed. */
  end(): Promise<Item[]>;
  /** Set once the reader cannot go on; nothing after it is read. */
  readonly stopped: ReaderStop | undefined;
}
