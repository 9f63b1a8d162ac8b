/**
 * A Server-Sent Events parser for a stream read with `fetch` and its body reader: the
 * console cannot use `EventSource`, which sends no `Authorization` header (and a token in
 * the query string would land in access logs). Pure: feed it text chunks as they
 * arrive, in any split, and it yields whole events (the WHATWG event-stream rules:
 * `data` lines joined by newlines, `event`, `id`, comments and `retry` ignored).
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string | undefined;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  /** The last chunk ended in \r: a \n opening the next one belongs to that line break. */
  private skipLf = false;

  /** Adds a chunk of the stream; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    if (this.skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    if (chunk) this.skipLf = false;
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = /\r\n|\r|\n/.exec(this.buffer);
      if (!nl) break;
      const line = this.buffer.slice(0, nl.index);
      this.buffer = this.buffer.slice(nl.index + nl[0].length);
      // a \r ending the chunk is a line break now (the stream may end here), and a \n next is its second half
      if (nl[0] === '\r' && this.buffer === '') this.skipLf = true;
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (!this.data.length) {
        this.event = '';
        return undefined;
      }
      const event: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
      this.data = [];
      this.event = '';
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.id = value;
    return undefined;
  }
}
