// Fan-out load: N clients join one document; one writer sends RATE updates/s
// for SECONDS seconds; every other client records when each update arrives.
// Usage: node load.mjs PROTO URL DOCUMENT_ID N RATE SECONDS [TOKEN]
//   PROTO sio: the SPEC's doc:* events over socket.io-client 4.8 (JointLab and
//              the minimal Node socket.io server);
//   PROTO yws: y-websocket's own WebsocketProvider (stock @y/websocket-server).
// Every client keeps a Y.Doc and applies what it receives, as an editor does,
// so the client side costs the same for every server.
// Env SERVER_PID: also report the server's CPU use during the run.
// Env WRITERS (default 1): writers per document, each sending RATE updates/s
//   (every client, writers too, records the others' updates).
// Env DOC_IDS (comma-separated): spread the N clients over these documents
//   (client i joins DOC_IDS[i % D]; the first WRITERS of each document write).
// Prints one JSON line: latency p50/p99 (send -> receipt by each other client),
// ack p50/p99 (send -> stored and acknowledged; sio only), delivered/expected,
// updates/s (total / time to the last receipt), lag (last receipt - last send),
// CPU of the load generator and of the server, load average.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import * as Y from 'yjs'
import { io } from 'socket.io-client'
import { WebsocketProvider } from 'y-websocket'
import * as awarenessProtocol from 'y-protocols/awareness'
import WebSocket from 'ws'

const [proto, url, documentId, n, rate, seconds, token] = process.argv.slice(2)
const docIds = process.env.DOC_IDS ? process.env.DOC_IDS.split(',').map(Number) : [Number(documentId)]
const D = docIds.length
const WRITERS = Number(process.env.WRITERS || 1)
const N = Number(n)
const RATE = Number(rate)
const sent = new Map() // seq -> send time
const latencies = []
const acks = []
let lastReceipt = 0

// '§' is c2 a7 in UTF-8; the seq follows as 6 ASCII digits. A relay may hold
// several updates merged (JointLab's group commit relays a batch as one), so
// every seq in it counts, once per client, and never a client's own.
function seqsOf (buf) {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const seqs = []
  let at = b.indexOf(0xc2)
  while (at !== -1) {
    if (b[at + 1] === 0xa7) {
      const digits = b.subarray(at + 2, at + 8).toString('latin1')
      if (/^\d{6}$/.test(digits)) seqs.push(Number(digits))
    }
    at = b.indexOf(0xc2, at + 1)
  }
  return seqs
}

function received (update, me) {
  for (const seq of seqsOf(update)) {
    if (!sent.has(seq) || me.own.has(seq) || me.seen.has(seq)) continue
    me.seen.add(seq)
    lastReceipt = performance.now()
    latencies.push(lastReceipt - sent.get(seq))
  }
}

async function sioClient (i) {
  const docId = docIds[i % D]
  const socket = io(url, { auth: token ? { token } : undefined, transports: ['websocket'], reconnection: false, forceNew: true })
  await new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject) })
  const ack = await socket.timeout(120000).emitWithAck('doc:join', { document_id: docId, state_vector: new Uint8Array([0]) })
  if (!ack.ok) throw new Error('join refused ' + JSON.stringify(ack))
  const doc = new Y.Doc()
  const me = { seen: new Set(), own: new Set() }
  Y.applyUpdate(doc, new Uint8Array(ack.update))
  if (i > 0 || WRITERS > 1) {
    socket.on('doc:update', (msg) => {
      received(msg.update, me)
      Y.applyUpdate(doc, new Uint8Array(msg.update), 'remote')
    })
  }
  return {
    doc,
    own: me.own,
    close: () => socket.close(),
    send: (update, seq) => {
      writerPending++
      socket.timeout(120000).emit('doc:update', { document_id: docId, update }, (err) => {
        if (!err) acks.push(performance.now() - sent.get(seq))
        writerPending--
      })
    }
  }
}

async function ywsClient (i) {
  const docId = docIds[i % D]
  const doc = new Y.Doc()
  const me = { seen: new Set(), own: new Set() }
  const awareness = new awarenessProtocol.Awareness(doc)
  // No presence: the sio clients send none either, and y-websocket would
  // otherwise fan every client's awareness out to all N (N^2 messages).
  awareness.setLocalState(null)
  const provider = new WebsocketProvider(url, `doc-${docId}`, doc,
    { WebSocketPolyfill: WebSocket, awareness, disableBc: true, maxBackoffTime: 60000 })
  await new Promise((resolve) => provider.on('sync', (synced) => { if (synced) resolve() }))
  if (i > 0 || WRITERS > 1) doc.on('update', (update, origin) => { if (origin === provider) received(update, me) })
  return { doc, own: me.own, close: () => { provider.destroy(); awareness.destroy() }, send: () => {} }
}

function serverCpu () {
  const pid = process.env.SERVER_PID
  if (!pid) return null
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // utime + stime, clock ticks of 10 ms
}

let writerPending = 0
const connectStarted = performance.now()
const clients = []
for (let i = 0; i < N; i++) clients.push(await (proto === 'yws' ? ywsClient(i) : sioClient(i))) // sequential: no connect storm
const connectSeconds = (performance.now() - connectStarted) / 1000
await new Promise((resolve) => setTimeout(resolve, 1000)) // let join traffic settle
// Client i is in document i % D; the first WRITERS of each document write.
const writers = clients.filter((_, i) => Math.floor(i / D) < WRITERS)
let seq = 0
for (const writer of writers) {
  writer.doc.on('update', (update, origin) => {
    if (origin !== null) return // only local edits
    const s = seqsOf(update)[0]
    writer.own.add(s)
    sent.set(s, performance.now())
    writer.send(update, s)
  })
}
const perWriter = RATE * Number(seconds)
const total = perWriter * writers.length
const cpu0 = process.cpuUsage()
const srv0 = serverCpu()
const started = performance.now()
let due = 0
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const now = Math.min(perWriter, Math.floor((performance.now() - started) / 1000 * RATE))
    while (due < now) {
      due++
      for (const writer of writers) { seq++; writer.doc.getText('content').insert(0, '§' + String(seq).padStart(6, '0')) }
    }
    if (due >= perWriter) { clearInterval(timer); resolve() }
  }, 2)
})
const lastSend = performance.now()
// Each update reaches every other client of its document.
const members = docIds.map((_, d) => clients.filter((_, i) => i % D === d).length)
const expected = writers.reduce((sum, _, w) => sum + perWriter * (members[w % D] - 1), 0)
const deadline = performance.now() + 30000
while ((latencies.length < expected || writerPending > 0) && performance.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 20))
}
const wall = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpu0)
const srv1 = serverCpu()
const pct = (xs, p) => { if (!xs.length) return null; const s = Float64Array.from(xs).sort(); return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2) }
const busyUntil = Math.max(lastReceipt, lastSend)
console.log(JSON.stringify({
  proto, clients: N, documents: D, writers: writers.length, rate: RATE, seconds: Number(seconds),
  p50_ms: pct(latencies, 0.5), p99_ms: pct(latencies, 0.99), max_ms: pct(latencies, 1),
  ack_p50_ms: pct(acks, 0.5), ack_p99_ms: pct(acks, 0.99),
  delivered: latencies.length, expected,
  updates_per_s: +(total / ((busyUntil - started) / 1000)).toFixed(1),
  lag_ms: +(Math.max(0, lastReceipt - lastSend)).toFixed(0),
  client_cpu: +((cpu.user + cpu.system) / 1e6 / wall).toFixed(2),
  server_cpu: srv0 === null ? null : +((srv1 - srv0) / wall).toFixed(2),
  connect_s: +connectSeconds.toFixed(1),
  loadavg: os.loadavg().map((x) => +x.toFixed(2))
}))
for (const c of clients) c.close()
process.exit(0)
