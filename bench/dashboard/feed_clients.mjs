// N feed clients: each connects (cookie from COOKIES_FILE, one line per
// client), sends feed:subscribe {} and records, for every `event` whose data
// carries `sent` (epoch seconds, set by the producer), the delay until it
// arrived. Prints one JSON line once EXPECTED_TOTAL receipts (all clients)
// arrived, or when sent SIGTERM.
// Usage: node feed_clients.mjs URL COOKIES_FILE N READY_FILE EXPECTED_TOTAL
import { readFileSync, writeFileSync } from 'node:fs'
import { io } from 'socket.io-client'

const [url, cookiesFile, n, readyFile, expectedTotal] = process.argv.slice(2)
const expected = Number(expectedTotal || Infinity)
const cookies = readFileSync(cookiesFile, 'utf8').split('\n').filter(Boolean)
const clients = Number(n)
const latencies = []
let last = Date.now()
let connected = 0

const connectOne = (i) => new Promise((resolve, reject) => {
  const socket = io(url, {
    transports: ['websocket'], reconnection: false,
    extraHeaders: cookies.length ? { Cookie: cookies[i % cookies.length] } : {},
  })
  socket.on('connect_error', (err) => reject(err))
  socket.on('event', (env) => {
    const sent = env && env.data && env.data.sent
    if (sent) {
      latencies.push(Date.now() - sent * 1000); last = Date.now()
      if (latencies.length >= expected) finish()
    }
  })
  socket.on('connect', () => {
    socket.timeout(30000).emit('feed:subscribe', {}, (err, ack) => {
      if (err || !ack || !ack.ok) reject(new Error('subscribe refused: ' + JSON.stringify(err || ack)))
      else { connected++; resolve(socket) }
    })
  })
})

const sockets = []
for (let i = 0; i < clients; i++) sockets.push(await connectOne(i)) // no connect storm
writeFileSync(readyFile, String(connected))
process.on('SIGTERM', finish)
process.on('SIGINT', finish)

function pct (sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.round(p / 100 * (sorted.length - 1)))] : null }
function finish () {
  const sorted = latencies.slice().sort((a, b) => a - b)
  console.log(JSON.stringify({
    clients: connected, received: sorted.length,
    p50: pct(sorted, 50), p95: pct(sorted, 95), p99: pct(sorted, 99), max: sorted[sorted.length - 1] ?? null,
    last_receipt: last,
  }))
  for (const s of sockets) s.close()
  process.exit(0)
}
