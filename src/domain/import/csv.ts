/**
 * A streaming CSV parser: RFC 4180 (fields separated by commas, records by CRLF or LF, a field in
 * double quotes may hold commas, line breaks and `""` for a quote), strict about what RFC 4180
 * forbids (a quote inside an unquoted field, anything but a comma or a line break after a closing
 * quote, a bare CR, a quoted field left open at the end), plus the one escape Cognito's guide
 * documents for its import files: `\,` in an unquoted field is a comma ("If an attribute value
 * contains a comma, you must put a backslash (\) before the comma"). Blank lines are no records.
 *
 * Memory stays bounded whatever the input: a record longer than `maxRecordChars` is still read
 * to its end (so the next one is found) but its text is dropped and it comes out `tooLong`.
 */

export interface CsvRecord {
  /** The physical line (1-based) the record starts on. */
  line: number;
  fields: string[];
  /** Longer than maxRecordChars: `fields` holds nothing useful. */
  tooLong: boolean;
}

/** Input that is not CSV (or not UTF-8): where and why. */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`Line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

// The parser's states: at a field's start, in an unquoted field, after a backslash there, in a
// quoted field, after a quote in one (closing, or the first of `""`), after a CR.
const S = { FieldStart: 0, Unquoted: 1, Escape: 2, Quoted: 3, QuoteInQuoted: 4, AfterCr: 5 } as const;
type State = (typeof S)[keyof typeof S];

export class CsvParser {
  private state: State = S.FieldStart;
  private fields: string[] = [];
  private field = '';
  private line = 1;
  private recordLine = 1;
  private recordChars = 0;
  private tooLong = false;
  /** Something (a character or a separator) was read since the record began. */
  private started = false;
  private out: CsvRecord[] = [];

  constructor(private readonly maxRecordChars = Infinity) {}

  /** The physical line the parser has reached. */
  get currentLine(): number {
    return this.line;
  }

  /** Parses the next piece of text; returns the records it completed. */
  push(text: string): CsvRecord[] {
    this.out = [];
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case S.FieldStart:
        case S.Unquoted: {
          if (c === 44 /* , */) this.endField();
          else if (c === 10 /* \n */) this.endRecord(true);
          else if (c === 13 /* \r */) this.state = S.AfterCr;
          else if (c === 34 /* " */) {
            if (this.state === S.Unquoted) throw new CsvSyntaxError('a double quote inside a field that does not start with one (quote the whole field and double the quote).', this.line);
            this.started = true;
            this.state = S.Quoted;
          } else if (c === 92 /* \ */) {
            this.started = true;
            this.state = S.Escape;
          } else {
            // The run of ordinary characters up to the next special one, in one slice.
            let j = i + 1;
            while (j < n) {
              const d = text.charCodeAt(j);
              if (d === 44 || d === 10 || d === 13 || d === 34 || d === 92) break;
              j++;
            }
            this.append(text.slice(i, j));
            this.state = S.Unquoted;
            i = j - 1;
          }
          break;
        }
        case S.Escape:
          if (c === 44) {
            this.append(',');
            this.state = S.Unquoted;
          } else {
            this.append('\\');
            this.state = S.Unquoted;
            i--; // read this character again as part of the unquoted field
          }
          break;
        case S.Quoted: {
          if (c === 34) {
            this.state = S.QuoteInQuoted;
            break;
          }
          let j = i + 1;
          while (j < n && text.charCodeAt(j) !== 34) j++;
          const piece = text.slice(i, j);
          for (let k = piece.indexOf('\n'); k >= 0; k = piece.indexOf('\n', k + 1)) this.line++;
          this.append(piece);
          i = j - 1;
          break;
        }
        case S.QuoteInQuoted:
          if (c === 34) {
            this.append('"');
            this.state = S.Quoted;
          } else if (c === 44) this.endField();
          else if (c === 10) this.endRecord(true);
          else if (c === 13) this.state = S.AfterCr;
          else throw new CsvSyntaxError('a character other than a comma or a line break after a closing double quote.', this.line);
          break;
        case S.AfterCr:
          if (c !== 10) throw new CsvSyntaxError('a carriage return that is not followed by a line feed.', this.line);
          this.endRecord(true);
          break;
      }
    }
    return this.out;
  }

  /** The end of the input: the last record (if the text did not end with a line break). */
  end(): CsvRecord[] {
    this.out = [];
    if (this.state === S.Quoted) throw new CsvSyntaxError('a double-quoted field is not closed before the end of the file.', this.recordLine);
    if (this.state === S.Escape) this.append('\\');
    this.endRecord(false);
    return this.out;
  }

  private append(s: string): void {
    this.started = true;
    this.recordChars += s.length;
    if (this.recordChars > this.maxRecordChars) this.tooLong = true;
    if (!this.tooLong) this.field += s;
  }

  private endField(): void {
    this.started = true;
    this.recordChars += 1;
    if (this.recordChars > this.maxRecordChars) this.tooLong = true;
    if (!this.tooLong) this.fields.push(this.field);
    this.field = '';
    this.state = S.FieldStart;
  }

  private endRecord(lineBreak: boolean): void {
    if (this.started) {
      if (!this.tooLong) this.fields.push(this.field);
      this.out.push({ line: this.recordLine, fields: this.tooLong ? [] : this.fields, tooLong: this.tooLong });
    }
    if (lineBreak) this.line++;
    this.fields = [];
    this.field = '';
    this.recordChars = 0;
    this.tooLong = false;
    this.started = false;
    this.recordLine = this.line;
    this.state = S.FieldStart;
  }
}

/**
 * The records of a UTF-8 byte stream (a leading byte order mark is dropped). Bytes that are not
 * UTF-8 are a CsvSyntaxError naming the line they are on.
 */
export async function* csvRecords(source: AsyncIterable<Uint8Array>, opts: { maxRecordChars?: number } = {}): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parser = new CsvParser(opts.maxRecordChars);
  const decode = (bytes: Uint8Array | undefined) => {
    try {
      return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      // The line of the first bad byte: the lines read so far, plus those of this piece before it.
      const lossy = bytes ? new TextDecoder('utf-8').decode(bytes) : '';
      const bad = lossy.indexOf('\uFFFD');
      const before = bad < 0 ? '' : lossy.slice(0, bad);
      throw new CsvSyntaxError('the file is not valid UTF-8 text.', parser.currentLine + (before.match(/\n/g)?.length ?? 0));
    }
  };
  for await (const bytes of source) yield* parser.push(decode(bytes));
  yield* parser.push(decode(undefined));
  yield* parser.end();
}
