import {EventEmitter} from 'node:events'

import {render} from 'ink'
import {createElement} from 'react'
import {describe, expect, it, vi} from 'vitest'

import {PROJECT_NAME, listTemplates, planScaffold} from '../../src/init/index.js'
import {InitWizard, type WizardAnswers} from '../../src/ui/init-wizard.js'

class FakeStdout extends EventEmitter {
  columns = 100
  rows = 40
  isTTY = true
  frames: string[] = []
  write = (s: string) => {
    this.frames.push(s)
    return true
  }
  get last() {
    return this.frames.join('')
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true
  private queue: string[] = []
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return this.queue.shift() ?? null
  }
  type(s: string) {
    this.queue.push(s)
    this.emit('readable')
  }
}

type Mounted = {
  stdout: FakeStdout
  stdin: FakeStdin
  templates: ReturnType<typeof listTemplates>
  answers: () => WizardAnswers | null | undefined
  exited: Promise<unknown>
}

function mountWizard(): Mounted {
  const stdout = new FakeStdout()
  const stdin = new FakeStdin()
  let answers: WizardAnswers | null | undefined
  const templates = listTemplates()
  const app = render(
    createElement(InitWizard, {
      templates,
      initialName: (t: string) => t,
      validateName: (n: string) => (PROJECT_NAME.test(n) ? undefined : 'names are letters, digits, . _ -'),
      preview: (t: string, n: string) => planScaffold(t, n).map((f) => f.path),
      onDone: (a: WizardAnswers | null) => (answers = a),
    }),
    {stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false},
  )
  return {stdout, stdin, templates, answers: () => answers, exited: app.waitUntilExit()}
}

/** Waits until the latest frame shows `text` (ink renders asynchronously). */
const shows = (stdout: FakeStdout, text: string) =>
  vi.waitFor(() => expect(stdout.frames.at(-1)).toContain(text), {timeout: 10_000, interval: 5})

describe('init wizard (ink)', () => {
  it('pick a template with the arrows, type a name, preview the files, confirm', async () => {
    const {stdout, stdin, templates, answers, exited} = mountWizard()
    await shows(stdout, 'Pick a template')
    stdin.type('\u001B[B') // down: the second template
    await shows(stdout, `❯ ${templates[1].name}`)
    stdin.type('\r')
    await shows(stdout, `Project name: ${templates[1].name}`)
    for (let i = 0; i < templates[1].name.length; i++) stdin.type('\u007F')
    stdin.type('bad name')
    await shows(stdout, 'Project name: bad name')
    stdin.type('\r')
    await shows(stdout, 'names are letters, digits, . _ -')
    for (let i = 0; i < 8; i++) stdin.type('\u007F')
    stdin.type('city-app')
    await shows(stdout, 'Project name: city-app')
    stdin.type('\r')
    await shows(stdout, 'openledger.config.json')
    expect(stdout.frames.at(-1)).toContain('city-app/')
    stdin.type('\r')
    await exited
    expect(answers()).toEqual({template: templates[1].name, name: 'city-app'})
  })

  it('keys typed faster than it renders each see the state the previous key left', async () => {
    const {stdout, stdin, templates, answers, exited} = mountWizard()
    await shows(stdout, 'Pick a template')
    // All at once, with no render in between: down, enter, erase the suggested name, a new one, enter, confirm.
    stdin.type('\u001B[B')
    stdin.type('\r')
    for (let i = 0; i < templates[1].name.length; i++) stdin.type('\u007F')
    for (const c of 'fast-app') stdin.type(c)
    stdin.type('\r')
    stdin.type('y')
    await exited
    expect(answers()).toEqual({template: templates[1].name, name: 'fast-app'})
  })

  it('esc on the first step cancels', async () => {
    const {stdout, stdin, answers, exited} = mountWizard()
    await shows(stdout, 'Pick a template')
    stdin.type('\u001B')
    await exited
    expect(answers()).toBeNull()
  })
})
