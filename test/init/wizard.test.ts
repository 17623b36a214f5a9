import {EventEmitter} from 'node:events'

import {render} from 'ink'
import {createElement} from 'react'
import {describe, expect, it} from 'vitest'

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

const tick = () => new Promise((r) => setTimeout(r, 30))

describe('init wizard (ink)', () => {
  it('pick a template with the arrows, type a name, preview the files, confirm', async () => {
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
    await tick()
    expect(stdout.last).toContain('Pick a template')
    stdin.type('\u001B[B') // down: the second template
    await tick()
    stdin.type('\r')
    await tick()
    expect(stdout.frames.at(-1)).toContain(`Project name: ${templates[1].name}`)
    for (let i = 0; i < templates[1].name.length; i++) stdin.type('\u007F')
    await tick()
    stdin.type('bad name')
    await tick()
    stdin.type('\r')
    await tick()
    expect(stdout.frames.at(-1)).toContain('names are letters, digits, . _ -')
    for (let i = 0; i < 8; i++) stdin.type('\u007F')
    stdin.type('city-app')
    await tick()
    stdin.type('\r')
    await tick()
    expect(stdout.frames.at(-1)).toContain('openledger.config.json')
    expect(stdout.frames.at(-1)).toContain('city-app/')
    stdin.type('\r')
    await app.waitUntilExit()
    expect(answers).toEqual({template: templates[1].name, name: 'city-app'})
  })
})
