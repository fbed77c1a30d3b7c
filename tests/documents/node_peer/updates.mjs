// Updates as real Yjs peers produce them, for the server's exact-decode check
// (test only). Usage: node updates.mjs  -> one JSON object on stdout:
// {"updates": [{"name", "hex"}...] to send in order to an empty document,
//  "text": what they make, "foreign": [{"name", "hex"}...] Yjs updates that
//  touch something other than the text `content`}.
import * as Y from 'yjs'

const hex = (u) => Buffer.from(u).toString('hex')
const updates = []
const record = (name, u) => updates.push({ name, hex: hex(u) })

const a = new Y.Doc()
const b = new Y.Doc()
const ta = a.getText('content')
const tb = b.getText('content')
let capture = null
a.on('update', (u) => { if (capture) record(capture, u) })
b.on('update', (u) => { if (capture) record(capture, u) })
const edit = (name, fn) => { capture = name; fn(); capture = null }
const sync = (from, to) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))

// An empty document's state and the "nothing missing" diff a browser sends on join.
record('empty state', Y.encodeStateAsUpdate(new Y.Doc()))
edit('typing', () => { for (const ch of 'Hello 世界 😀') ta.insert(ta.length, ch) })
edit('paste', () => ta.insert(0, '压铸件气孔率 Porosity\n'.repeat(50)))
sync(a, b)
edit('concurrent insert', () => tb.insert(3, '并发 concurrent 🧪 '))
edit('delete', () => ta.delete(5, 20))
edit('delete across an emoji', () => ta.delete(ta.length - 3, 2))
edit('format', () => ta.format(0, 4, { bold: true }))
edit('embed', () => ta.insertEmbed(1, { image: 'x.png' }))
edit('transaction', () => a.transact(() => { ta.insert(0, '# '); ta.delete(10, 3); ta.insert(4, 'x') }))
sync(b, a)
sync(a, b)
record('state as update', Y.encodeStateAsUpdate(a))
record('diff, nothing missing', Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
const sv = Y.encodeStateVector(a)
edit('after the state vector', () => ta.insert(0, 'later '))
record('diff against a state vector', Y.encodeStateAsUpdate(a, sv))
const u1 = []
const c = new Y.Doc()
c.on('update', (u) => u1.push(u))
Y.applyUpdate(c, Y.encodeStateAsUpdate(a))
const tc = c.getText('content')
tc.insert(0, 'one ')
tc.insert(0, 'two ')
tc.insert(0, 'three ')
// Merged updates with a gap (the middle one left out) carry a Skip struct.
record('merged with a gap', Y.mergeUpdates([u1[1], u1[3]]))
record('merged', Y.mergeUpdates([u1[2]]))
record('diffUpdate', Y.diffUpdate(Y.mergeUpdates(u1), Y.encodeStateVector(a)))
Y.applyUpdate(a, Y.encodeStateAsUpdate(c))
edit('delete everything', () => ta.delete(0, ta.length))
edit('type again', () => ta.insert(0, '重新开始 again ✅'))
record('final state', Y.encodeStateAsUpdate(a))

const foreign = []
const d = new Y.Doc()
d.on('update', (u) => foreign.push({ name: d.__name, hex: hex(u) }))
d.__name = 'a map'
d.getMap('meta').set('title', 'x')
d.__name = 'an array'
d.getArray('list').insert(0, [1, { deep: [1, 2] }])
d.__name = 'a nested type in the text'
d.getText('content').insertEmbed(0, new Y.Map())
d.__name = 'another text'
d.getText('notes').insert(0, 'hi')

console.log(JSON.stringify({ updates, text: ta.toString(), foreign }))
