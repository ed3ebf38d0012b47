import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cpuSeconds, parseStatTicks, parseStatusKb, peakRssBytes } from '../bench/harness/proc.ts';
import { COLUMNS, END, replaceBetweenMarkers, START } from '../bench/harness/table.ts';
import { RawConnection, requestBytes } from '../bench/harness/raw-http.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark harness of `npm run bench -- paths` (bench/paths.bench.ts) does what it says: its
 * /proc readings, its table, and a real run of two quick paths. Behaviour only: no figure is
 * checked against a speed.
 */
const root = join(import.meta.dirname, '..');
/** Of two printed figures, the smaller, as printed. */
const fmtMin = (a: string, b: string) => (Number(a.replace(/,/g, '')) <= Number(b.replace(/,/g, '')) ? a : b);

describe('the bench harness', () => {
  it('reads utime+stime from /proc/<pid>/stat, a command name with spaces and parentheses included', () => {
    // Fields 14 and 15 (utime, stime) counted from the last ')', so that the name cannot shift them.
    const stat = '4242 (we ird) (name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 100 0 0';
    assert.equal(parseStatTicks(stat), 1234 + 567);
    assert.equal(parseStatTicks(readFileSync('/proc/self/stat', 'utf8')) >= 0, true);
    // Ours agrees with Node's own count of this process's CPU, to the tick and a margin.
    const ours = cpuSeconds(process.pid);
    const node = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    assert.ok(Math.abs(ours - node) < 0.5, `/proc says ${ours} s, process.cpuUsage ${node} s`);
  });

  it('reads the peak RSS from /proc/<pid>/status', () => {
    assert.equal(parseStatusKb('Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1024 kB\n', 'VmHWM'), 2048 * 1024);
    const status = readFileSync(`/proc/${process.pid}/status`, 'utf8');
    assert.ok(peakRssBytes(process.pid) >= parseStatusKb(status, 'VmRSS'));
  });

  it('rewrites only what is between the README markers', () => {
    const text = `# Bench\n\nintro\n\n${START}\nold table\n${END}\n\nafter\n`;
    assert.equal(replaceBetweenMarkers(text, 'new'), `# Bench\n\nintro\n\n${START}\nnew\n${END}\n\nafter\n`);
    assert.equal(replaceBetweenMarkers('# Bench\n', 'new'), `# Bench\n\n${START}\nnew\n${END}\n`);
  });

  it("reads answers with the load generator's raw HTTP client: split, in a row, after Connection: close, and refuses other framing", async () => {
    const seen: { method: string; url: string; host: string | undefined; type: string | undefined; body: string }[] = [];
    let connections = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => {
        seen.push({ method: req.method!, url: req.url!, host: req.headers.host, type: req.headers['content-type'], body });
        if (body === 'chunked') {
          res.write('no '); // written before its end, its length unknown: Node frames it chunked
          res.end('length');
          return;
        }
        const answer = Buffer.from(`{"echo":${JSON.stringify(body)},"é":"${'x'.repeat(body === 'big' ? 200_000 : 3)}"}`);
        res.writeHead(body === 'teapot' ? 418 : 200, { 'content-length': answer.length, ...(body === 'close' ? { connection: 'close' } : {}) });
        // The head and the body in separate writes, the body in two halves: reads see them split.
        res.flushHeaders();
        res.write(answer.subarray(0, 5));
        setTimeout(() => res.end(answer.subarray(5)), 5);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const c = new RawConnection('127.0.0.1', port);
    const bytes = (body: string) => requestBytes(`127.0.0.1:${port}`, '/x', { 'content-type': 'application/x-amz-json-1.1' }, body);
    try {
      assert.deepEqual(await c.send(bytes('é1')), { status: 200, body: '{"echo":"é1","é":"xxx"}' });
      assert.equal((await c.send(bytes('teapot'))).status, 418);
      assert.equal(JSON.parse((await c.send(bytes('big'))).body)['é'].length, 200_000);
      assert.equal(connections, 1, 'one keep-alive connection for three requests');
      assert.equal((await c.send(bytes('close'))).status, 200);
      assert.equal((await c.send(bytes('after'))).status, 200);
      assert.equal(connections, 2, 'a new connection after the server said close');
      assert.deepEqual(seen[0], { method: 'POST', url: '/x', host: `127.0.0.1:${port}`, type: 'application/x-amz-json-1.1', body: 'é1' });
      await assert.rejects(c.send(bytes('chunked')), /transfer-encoding chunked/);
      assert.equal((await c.send(bytes('again'))).status, 200, 'usable again after a refused answer');
      await assert.rejects(Promise.all([c.send(bytes('a')), c.send(bytes('b'))]), /one request at a time/);
    } finally {
      c.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('runs AdminGetUser and GetUser against a server process and prints well-formed rows', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench', 'run.ts'), 'paths', '--seconds', '1', '--users', '50', '--only', 'AdminGetUser,GetUser', '--rounds', '2'],
      { cwd: root, timeout: 240_000, maxBuffer: 1 << 24 },
    );
    assert.match(stdout, /^nproc \d+, .+, Node v\d+\.\d+\.\d+, load average at start [\d.]+ [\d.]+ [\d.]+/m);
    const rows = stdout
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .map((l) => l.slice(2, -2).split(' | '));
    for (const r of rows) assert.equal(r.length, COLUMNS.length, r.join(' | '));
    assert.deepEqual(rows[0], COLUMNS);
    const byPath = new Map(rows.map((r) => [r[0], r]));
    const number = (s: string) => Number(s.replace(/,/g, ''));
    for (const path of ['AdminGetUser', 'GetUser (access token)', 'ceiling: bare Fastify route answering {}']) {
      const r = byPath.get(path);
      assert.ok(r, `no row for ${path} in\n${stdout}`);
      const [, ops, p50, p99, cpu, perCpu] = r.map(number);
      assert.ok(ops > 0 && p50 > 0 && p99 >= p50, r.join(' | '));
      // The server's CPU came from /proc: some was used, and it is consistent with ops/s.
      assert.ok(cpu > 0 && perCpu > 0, r.join(' | '));
      // (CPU % is printed rounded to a whole percent, hence the bounds.)
      assert.ok(perCpu <= (ops / ((cpu - 0.5) / 100)) * 1.01 && perCpu >= (ops / ((cpu + 0.5) / 100)) * 0.99, r.join(' | '));
    }
    const getUser = byPath.get('GetUser (access token)')!;
    assert.match(getUser[6], /^(Fastify \{\}|RS256 verify): [\d,.]+\/s, [\d,.]+\/CPU-s$/);
    assert.ok(number(getUser[7]) > 0);
    assert.ok(byPath.get('ceiling: RS256 verify (2048-bit, node:crypto, 1 thread)'));
    // Two rounds: each case ran twice, and its row is the slower of the two (the lower middle).
    const rounds = /^- 2 rounds, each case's row its median round; ops per server CPU-s round by round: GetUser ([\d,.]+) \/ ([\d,.]+); AdminGetUser ([\d,.]+) \/ ([\d,.]+)$/m.exec(stdout);
    assert.ok(rounds, stdout);
    assert.equal(getUser[5], fmtMin(rounds[1], rounds[2]));
    assert.equal(byPath.get('AdminGetUser')![5], fmtMin(rounds[3], rounds[4]));
    // Cases not asked for are not run.
    assert.ok(!rows.some((r) => r[0].includes('USER_PASSWORD_AUTH')));
  });
});
