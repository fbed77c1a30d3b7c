// A Yjs peer speaking the SPEC's doc:* events, to prove the protocol is not
// Python-only. Usage: node peer.mjs URL TOKEN DOCUMENT_ID MARKER COUNT OTHER
// It joins, inserts lines "MARKER<i>" (i < COUNT) at the start of random lines
// while the other peer inserts lines "OTHER<i>", waits until all of those have
// arrived and its own updates are acknowledged, then prints {"text": ...}.
import * as Y from 'yjs'
import { io } from 'socket.io-client'

const [url, token, documentId, marker, count, other] = process.argv.slice(2)
const docId = Number(documentId)
const ydoc = new Y.Doc()
const ytext = ydoc.getText('content')
const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false })
let inflight = 0

const fail = (why) => { console.error(why); process.exit(1) }
setTimeout(() => fail('timed out; text is ' + JSON.stringify(ytext.toString())), 30000)

ydoc.on('update', (update, origin) => {
  if (origin === 'remote') return
  inflight++
  socket.timeout(10000).emit('doc:update', { document_id: docId, update }, (err, ack) => {
    if (err || !ack || !ack.ok) fail('update refused: ' + JSON.stringify(err || ack))
    inflight--
  })
})
socket.on('doc:update', (msg) => {
  if (msg.document_id === docId) Y.applyUpdate(ydoc, new Uint8Array(msg.update), 'remote')
})
socket.on('connect_error', (err) => fail('connect failed: ' + err.message))
socket.on('connect', () => {
  const join = { document_id: docId, state_vector: Y.encodeStateVector(ydoc) }
  socket.timeout(10000).emit('doc:join', join, async (err, ack) => {
    if (err || !ack || !ack.ok) fail('join refused: ' + JSON.stringify(err || ack))
    Y.applyUpdate(ydoc, new Uint8Array(ack.update), 'remote')
    for (let i = 0; i < Number(count); i++) {
      // Line starts only, so concurrent insertions never split each other;
      // never the very end, so the template's last line stays last.
      const s = ytext.toString()
      const starts = [0]
      for (let at = s.indexOf('\n'); at !== -1; at = s.indexOf('\n', at + 1)) {
        if (at + 1 < s.length) starts.push(at + 1)
      }
      ytext.insert(starts[Math.floor(Math.random() * starts.length)], `${marker}${i}\n`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const done = setInterval(() => {
      const text = ytext.toString()
      const all = Array.from({ length: Number(count) }, (_, i) => `${other}${i}\n`)
      if (inflight === 0 && all.every((line) => text.includes(line))) {
        clearInterval(done)
        console.log(JSON.stringify({ text: ytext.toString() }))
        socket.close()
        process.exit(0)
      }
    }, 20)
  })
})
