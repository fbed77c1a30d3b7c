// Fan-out load: N clients join one document; one writer sends R updates/s for
// S seconds; every other client records when each update arrives.
// Usage: node load.mjs URL DOCUMENT_ID N RATE SECONDS [TOKEN]
// Prints one JSON line: latency p50/p99 (send -> receipt by each other client),
// ack p50/p99 (send -> stored and acknowledged), delivered/expected, rate.
import * as Y from 'yjs'
import { io } from 'socket.io-client'

const [url, documentId, n, rate, seconds, token] = process.argv.slice(2)
const docId = Number(documentId)
const N = Number(n)
const sent = new Map() // seq -> send time
const latencies = []
const acks = []
const MARK = 0xa7 // '§' is c2 a7 in UTF-8; the seq follows as 6 ASCII digits

function seqOf (buf) {
  const b = Buffer.from(buf)
  const at = b.indexOf(MARK)
  return at === -1 ? null : Number(b.subarray(at + 1, at + 7).toString())
}

async function client (i) {
  const socket = io(url, { auth: token ? { token } : undefined, transports: ['websocket'], reconnection: false, forceNew: true })
  await new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject) })
  const ack = await socket.timeout(60000).emitWithAck('doc:join', { document_id: docId, state_vector: new Uint8Array([0]) })
  if (!ack.ok) throw new Error('join refused ' + JSON.stringify(ack))
  if (i > 0) {
    socket.on('doc:update', (msg) => {
      const seq = seqOf(msg.update)
      if (seq !== null && sent.has(seq)) latencies.push(performance.now() - sent.get(seq))
    })
  }
  return { socket, ack }
}

const clients = []
for (let i = 0; i < N; i++) clients.push(await client(i)) // sequential: no connect storm
const writer = clients[0]
const ydoc = new Y.Doc()
Y.applyUpdate(ydoc, new Uint8Array(writer.ack.update))
const ytext = ydoc.getText('content')
let seq = 0
let pending = 0
ydoc.on('update', (update) => {
  const s = seqOf(update)
  sent.set(s, performance.now())
  pending++
  writer.socket.timeout(60000).emit('doc:update', { document_id: docId, update }, (err) => {
    if (!err) acks.push(performance.now() - sent.get(s))
    pending--
  })
})
const total = Number(rate) * Number(seconds)
const started = performance.now()
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor((performance.now() - started) / 1000 * Number(rate)))
    while (seq < due) { seq++; ytext.insert(0, '§' + String(seq).padStart(6, '0')) }
    if (seq >= total) { clearInterval(timer); resolve() }
  }, 5)
})
const sendSeconds = (performance.now() - started) / 1000
const expected = total * (N - 1)
const deadline = performance.now() + 30000
while ((latencies.length < expected || pending > 0) && performance.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50))
}
const drainSeconds = (performance.now() - started) / 1000
const pct = (xs, p) => { if (!xs.length) return null; const s = [...xs].sort((a, b) => a - b); return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2) }
console.log(JSON.stringify({
  clients: N, rate: Number(rate), seconds: Number(seconds),
  p50_ms: pct(latencies, 0.5), p99_ms: pct(latencies, 0.99),
  ack_p50_ms: pct(acks, 0.5), ack_p99_ms: pct(acks, 0.99),
  delivered: latencies.length, expected, updates_per_s: +(total / drainSeconds).toFixed(1),
  send_seconds: +sendSeconds.toFixed(2)
}))
for (const c of clients) c.socket.close()
process.exit(0)
