// The peer: a minimal socket.io 4 server speaking feed:subscribe. On POST
// /emit?rate=R&seconds=S it emits R events a second for S seconds to every
// subscribed socket, each an envelope like JointLab's with data.sent, in one
// emit to a room (socket.io's best case: one encode, N writes). No auth, no
// storage, no replay: Node's floor for this fan-out.
// Usage: node node_feed_server.mjs PORT
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const port = Number(process.argv[2] || 5098)
const http = createServer((req, res) => {
  const u = new URL(req.url, 'http://x')
  if (req.method === 'POST' && u.pathname === '/emit') {
    const rate = Number(u.searchParams.get('rate')); const seconds = Number(u.searchParams.get('seconds'))
    const total = rate * seconds; const start = Date.now(); let k = 0
    const tick = () => {
      while (k < total && Date.now() >= start + (k * 1000) / rate) {
        io.to('feed').emit('event', {
          id: k + 1, workspace_id: 1 + (k % 500), seq: k + 1, type: 'milestone.updated',
          occurred_at: new Date().toISOString(), actor: null,
          data: { milestone: { id: 1, title: 'Bench' }, sent: Date.now() / 1000 },
        })
        k++
      }
      if (k < total) setTimeout(tick, 1)
    }
    tick()
    res.end('ok')
    return
  }
  res.end('ok')
})
const io = new Server(http, { serveClient: false })
io.on('connection', (socket) => {
  socket.on('feed:subscribe', (_msg, ack) => { socket.join('feed'); if (typeof ack === 'function') ack({ ok: true }) })
})
http.listen(port, '127.0.0.1')
