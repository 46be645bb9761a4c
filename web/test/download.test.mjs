// The file name of a download, as the server's Content-Disposition offers it
// (web/src/lib/download.js).
//   node --test web/test/
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileNameOf } from '../src/lib/download.js'

test('the plain file name of an ASCII title', () => {
  assert.equal(fileNameOf('attachment; filename="Autumn workshop.xlsx"', 'workshop.xlsx'), 'Autumn workshop.xlsx')
})

test('the UTF-8 name wins over its ASCII stand-in', () => {
  const header = 'attachment; filename="Caf_ workshop.md"; filename*=UTF-8\'\'Caf%C3%A9%20workshop.md'
  assert.equal(fileNameOf(header, 'workshop.md'), 'Café workshop.md')
})

test('an unquoted name, and escapes inside quotes', () => {
  assert.equal(fileNameOf('attachment; filename=votes.csv', 'workshop.csv'), 'votes.csv')
  assert.equal(fileNameOf('attachment; filename="say \\"hi\\".md"', 'workshop.md'), 'say "hi".md')
})

test('no header, no name or a broken encoding falls back', () => {
  assert.equal(fileNameOf(null, 'workshop.xlsx'), 'workshop.xlsx')
  assert.equal(fileNameOf('attachment', 'workshop.xlsx'), 'workshop.xlsx')
  assert.equal(fileNameOf('attachment; filename*=UTF-8\'\'%E0%A4%A.md', 'workshop.md'), 'workshop.md')
})

test('path separators are never kept', () => {
  assert.equal(fileNameOf('attachment; filename="../../etc/passwd"', 'workshop.md'), '.._.._etc_passwd')
  assert.equal(fileNameOf('attachment; filename*=UTF-8\'\'a%2Fb%5Cc.csv', 'workshop.csv'), 'a_b_c.csv')
})
