import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {DatasetError, loadLabelledSet} from '../../eval/datasets.js'

const dir = mkdtempSync(join(tmpdir(), 'ol-datasets-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const write = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('labelled sets for the evaluations', () => {
  it('WordNet definitions: six labels, balanced, no synset on both sides of the split', () => {
    const set = loadLabelledSet('wordnet', {perClass: 200})
    const all = [...set.train, ...set.test]
    const counts = new Map<string, number>()
    for (const e of all) counts.set(e.label, (counts.get(e.label) ?? 0) + 1)
    expect([...counts.keys()].sort()).toEqual(['animal', 'body', 'food', 'location', 'person', 'plant'])
    expect([...counts.values()].every((n) => n === 200)).toBe(true)
    const trainDocs = new Set(set.train.map((e) => e.doc))
    expect(set.test.some((e) => trainDocs.has(e.doc))).toBe(false)
    expect(set.test.length / all.length).toBeGreaterThan(0.2)
    expect(set.test.length / all.length).toBeLessThan(0.4)
    // A definition, not the entry line: no synset offsets or pointer symbols.
    expect(all.every((e) => !/\d{8}|[@~|]/.test(e.text))).toBe(true)
  })

  it('Brown sentences split by document: no document on both sides', () => {
    const set = loadLabelledSet('brown', {perClass: 50})
    const trainDocs = new Set(set.train.map((e) => e.doc))
    expect(set.test.length).toBeGreaterThan(0)
    expect(set.test.some((e) => trainDocs.has(e.doc))).toBe(false)
  })

  it('a JSONL file honours its split column and chosen fields', () => {
    const rows = Array.from({length: 20}, (_, i) => ({
      body: `text number ${i}`,
      topic: i % 2 ? 'odd' : 'even',
      split: i < 5 ? 'test' : 'train',
    }))
    const path = write('set.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const set = loadLabelledSet(path, {perClass: 100, textField: 'body', labelField: 'topic'})
    expect(set.test.map((e) => e.text).sort()).toEqual(
      rows
        .slice(0, 5)
        .map((r) => r.body)
        .sort(),
    )
    expect(set.train).toHaveLength(15)
    expect(new Set(set.train.map((e) => e.label))).toEqual(new Set(['odd', 'even']))
  })

  it('a CSV file without a split column is split by hash of the text, the same way every time', () => {
    const lines = ['text,label', ...Array.from({length: 200}, (_, i) => `"sentence ${i}, with a comma",${i % 3}`)]
    const path = write('set.csv', lines.join('\n') + '\n')
    const a = loadLabelledSet(path, {perClass: 1000})
    const b = loadLabelledSet(path, {perClass: 1000})
    expect(a.train.length + a.test.length).toBe(200)
    expect(a.test.length).toBeGreaterThan(30)
    expect(a.test.map((e) => e.text)).toEqual(b.test.map((e) => e.text))
    expect(a.train[0].text).toContain(', with a comma')
  })

  it('bad input is one line naming the file and line', () => {
    const broken = write('broken.jsonl', '{"text": "a", "label": "x"}\n{"text": "b", "label": \n')
    expect(() => loadLabelledSet(broken, {perClass: 10})).toThrow(new DatasetError(`${broken}:2: not a JSON object`))
    const noLabel = write('nolabel.jsonl', '{"text": "a", "label": "x"}\n{"text": "b"}\n')
    expect(() => loadLabelledSet(noLabel, {perClass: 10})).toThrow(`${noLabel}:2: no label in field "label"`)
    const oneLabel = write('one.jsonl', '{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n')
    expect(() => loadLabelledSet(oneLabel, {perClass: 10})).toThrow('needs at least two labels')
    expect(() => loadLabelledSet(join(dir, 'missing.jsonl'), {perClass: 10})).toThrow('no such file')
  })
})
