import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { chipFamily, familySupport, hostFamily } from '../../src/core/npu/family';
import { deviceMemory, parseKeyValueLines, parseNpuSmiInfo, parseNpuSmiList } from '../../src/core/npu/smi';
import { fixture, sharedSamples } from './helpers';

describe('chip family from the npu-smi Name column', () => {
  const cases: Array<[string, string]> = [
    ['910B1', 'A2'], ['910B2', 'A2'], ['910B2C', 'A2'], ['910B3', 'A2'], ['910B4', 'A2'], ['910B4-1', 'A2'],
    ['ascend910b3', 'A2'], ['Ascend910B4', 'A2'],
    ['Ascend910', 'A3'], ['ascend910_9391', 'A3'], ['Ascend910_9382', 'A3'],
    // The trap: a bare 910B is the classic Ascend 910, not an A2 chip.
    ['910B', '910'], ['910A', '910'], ['910ProA', '910'], ['910ProB', '910'], ['910PremiumA', '910'], ['910', '910'],
    ['310P3', '310P'], ['310P1', '310P'], ['ascend310p3', '310P'], ['310B1', '310B'], ['310', '310'],
    ['950DT', '950'], ['xxx', 'unknown'], ['', 'unknown'], ['910B5', 'unknown'],
  ];
  for (const [name, fam] of cases) {
    it(`${JSON.stringify(name)} → ${fam}`, () => assert.equal(chipFamily(name), fam));
  }
  it('support follows the vllm-ascend FAQ', () => {
    assert.equal(familySupport('A2'), 'supported');
    assert.equal(familySupport('A3'), 'supported');
    assert.equal(familySupport('310P'), 'experimental');
    assert.equal(familySupport('910'), 'unsupported');
    assert.equal(familySupport('310'), 'unsupported');
    assert.equal(familySupport('310B'), 'unsupported');
    assert.equal(familySupport('unknown'), 'unknown');
  });
  it('a host with two families is mixed', () => {
    assert.equal(hostFamily(['910B3', '910B3']), 'A2');
    assert.equal(hostFamily(['910B3', '910B']), 'mixed:910,A2');
    assert.equal(hostFamily([]), 'none');
  });
});

describe('npu-smi info parser on our fixtures', () => {
  it('A2 98-column table with a prompt before and after, processes on two NPUs, 5-digit usage', () => {
    const r = parseNpuSmiInfo(fixture('npu_smi_a2_910b4x4_procs.txt'));
    assert.equal(r.ok, true);
    assert.equal(r.version, '24.1.rc2');
    assert.equal(r.layout, 'hbm');
    assert.equal(r.width, 98);
    assert.equal(r.secondIdLabel, null);
    assert.deepEqual(r.devices.map((d) => d.npuId), [0, 1, 2, 3]);
    assert.ok(r.devices.every((d) => d.name === '910B4' && d.family === 'A2' && d.health === 'OK' && d.hbmTotalMB === 32768));
    assert.equal(r.devices[1].hbmUsedMB, 30117);
    assert.equal(r.devices[1].powerW, 100.2);
    assert.equal(r.devices[1].busId, '0000:C2:00.0');
    assert.deepEqual(r.processes.map((p) => [p.npuId, p.chipId, p.pid, p.name, p.memoryMB]), [
      [1, 0, 51234, 'VLLMWorker_TP', 27150], [2, 0, 51234, 'VLLMWorker_TP', 27150],
    ]);
    assert.deepEqual(r.idleNpus, [0, 3]);
    assert.deepEqual(r.issues, []);
  });

  it('A3: two dies per NPU, Phy-ID column, power "-" on the second die', () => {
    const r = parseNpuSmiInfo(fixture('npu_smi_a3_2npu_4chip.txt'));
    assert.equal(r.secondIdLabel, 'Phy-ID');
    assert.deepEqual(r.devices.map((d) => [d.npuId, d.chipId, d.phyId]), [[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3]]);
    assert.ok(r.devices.every((d) => d.family === 'A3'));
    assert.equal(r.devices[0].powerW !== null, true);
    assert.equal(r.devices[1].powerW, null);
    assert.equal(r.processes.length, 4);
    assert.ok(r.processes.every((p) => p.pid === 700412 && p.name === '' && p.memoryMB === 58112));
  });

  it('300I Duo 106-column DDR layout: NPU ids 0 and 96, NA power, DDR memory only', () => {
    const r = parseNpuSmiInfo(fixture('npu_smi_duo_310p3_2cards.txt'));
    assert.equal(r.layout, 'ddr');
    assert.equal(r.width, 106);
    assert.equal(r.hasHbmColumn, false);
    assert.equal(r.secondIdLabel, 'Device');
    assert.deepEqual(r.devices.map((d) => [d.npuId, d.chipId, d.deviceId]), [[0, 0, 0], [0, 1, 1], [96, 0, 2], [96, 1, 3]]);
    assert.ok(r.devices.every((d) => d.powerW === null && d.hbmTotalMB === null && d.memTotalMB === 44278 && d.family === '310P'));
    assert.deepEqual(deviceMemory(r.devices[0])?.kind, 'DDR');
    assert.deepEqual(r.processes.map((p) => [p.npuId, p.chipId, p.pid, p.name]), [[0, 0, 4411, 'python3']]);
    assert.deepEqual(r.idleNpus, [96]);
  });

  it('26.x wide layout: Warning health, NA power, process id in container', () => {
    const r = parseNpuSmiInfo(fixture('npu_smi_wide_910b2x2_26.0.rc2.txt'));
    assert.equal(r.layout, 'wide');
    assert.equal(r.width, 116);
    assert.equal(r.version, '26.0.rc2');
    assert.deepEqual(r.devices.map((d) => [d.health, d.powerW, d.aicorePercent, d.hbmUsedMB]), [['OK', 101.3, 12, 48211], ['Warning', null, 0, 3388]]);
    assert.deepEqual(r.processes, [{ npuId: 0, chipId: 0, pid: 1893307, name: 'python3', memoryMB: 44800, containerPid: 812 }]);
  });

  it('classic 910 ("910B" with no digit): DDR in use next to HBM, family 910', () => {
    const r = parseNpuSmiInfo(fixture('npu_smi_classic_910b_x2.txt'));
    assert.ok(r.devices.every((d) => d.family === '910' && d.hbmTotalMB === 32768 && d.memTotalMB === 15567));
  });

  it('a paste cut off in the middle of a row keeps what was complete and says where it broke', () => {
    const r = parseNpuSmiInfo(fixture('npu_smi_a2_truncated_mid_row.txt'));
    assert.equal(r.ok, true);
    assert.equal(r.devices.length, 3);
    assert.equal(r.devices[2].hbmUsedMB, null, 'the cut-off value is not guessed');
    assert.equal(r.devices[2].busId, '0000:81:00.0');
    assert.ok(r.issues.some((i) => i.code === 'truncated-line'));
    assert.ok(r.issues.some((i) => i.code === 'no-process-table'));
  });

  it('a device whose second row never came is kept and flagged', () => {
    const text = fixture('npu_smi_a2_910b4x4_procs.txt').split('\n').slice(0, 8).join('\n');
    const r = parseNpuSmiInfo(text);
    assert.equal(r.devices.length, 1);
    assert.equal(r.devices[0].busId, null);
    assert.equal(r.issues[0].code, 'incomplete-device');
  });

  it('CRLF line ends and leading indentation change nothing', () => {
    const text = fixture('npu_smi_a2_910b4x4_procs.txt');
    const a = parseNpuSmiInfo(text);
    const b = parseNpuSmiInfo(text.split('\n').map((l) => `    ${l}`).join('\r\n'));
    assert.deepEqual(b.devices, a.devices);
    assert.deepEqual(b.processes, a.processes);
  });

  it('a Markdown-quoted paste and a Bus-Id of NA (virtual machines) still parse', () => {
    const text = fixture('npu_smi_a2_910b4x4_procs.txt').replace('0000:C2:00.0', 'NA          ').split('\n').map((l) => `> ${l}`).join('\n');
    const r = parseNpuSmiInfo(text);
    assert.equal(r.devices.length, 4);
    assert.equal(r.devices[1].busId, null);
    assert.equal(r.devices[1].hbmUsedMB, 30117);
    assert.equal(r.processes.length, 2);
  });

  it('an older layout without the Hugepages column', () => {
    const text = [
      '+-------------------+-----------------+------------------------------------------------------+',
      '| NPU     Name      | Health          | Power(W)          Temp(C)                            |',
      '| Chip              | Bus-Id          | AICore(%)         Memory-Usage(MB)  HBM-Usage(MB)    |',
      '+===================+=================+======================================================+',
      '| 0       910A      | OK              | 71.2              44                                 |',
      '| 0                 | 0000:3B:00.0    | 0                 2703 / 15039      0    / 32768     |',
      '+===================+=================+======================================================+',
    ].join('\n');
    const r = parseNpuSmiInfo(text);
    assert.deepEqual(r.devices.map((d) => [d.family, d.powerW, d.tempC, d.hugepagesTotal, d.memUsedMB, d.hbmTotalMB]), [['910', 71.2, 44, null, 2703, 32768]]);
  });

  it('garbage, empty input and replacement characters never throw', () => {
    for (const t of ['', 'bash: npu-smi: command not found', '\u0000\u0001|||+++', '| a | b |\n| c | d |', '\ufffd\ufffd| 0 910B3 | OK |', '+'.repeat(98)]) {
      const r = parseNpuSmiInfo(t);
      assert.equal(r.ok, false);
      assert.equal(r.devices.length, 0);
      assert.ok(r.issues.some((i) => i.code === 'no-table'));
    }
  });

  it('a header-less paste (rows only) still yields devices with HBM', () => {
    const lines = fixture('npu_smi_a2_910b4x4_procs.txt').split('\n').filter((l) => /^\| [0-9]/.test(l)).slice(0, 4);
    const r = parseNpuSmiInfo(lines.join('\n'));
    assert.equal(r.devices.length, 2);
    assert.equal(r.devices[1].hbmUsedMB, 30117);
    assert.equal(r.hasHbmColumn, true);
  });
});

describe('npu-smi key : value sub-commands', () => {
  it('info -l', () => {
    const text = ['        Total Count                    : 2', '', '        NPU ID                         : 0', '        Chip Count                     : 1', '', '        NPU ID                         : 4', '        Chip Count                     : 2'].join('\n');
    assert.deepEqual(parseNpuSmiList(text), { totalCount: 2, npus: [{ npuId: 0, chipCount: 1 }, { npuId: 4, chipCount: 2 }] });
  });
  it('key : value lines keep values with colons', () => {
    assert.deepEqual(parseKeyValueLines('PCIe Bus Info                  : 0000:C1:00.0\nnoise\n'), [['PCIe Bus Info', '0000:C1:00.0']]);
  });
});

// The real public outputs in ../shared/samples (present in the workspace and in CI, beside the checkout).
const haveShared = fs.existsSync(sharedSamples);
describe('npu-smi info parser on every real sample in shared/samples', { skip: haveShared ? false : `${sharedSamples} not present` }, () => {
  const files = haveShared ? fs.readdirSync(sharedSamples).filter((f) => f.startsWith('npu_smi_')) : [];
  for (const f of files) {
    it(f, () => {
      const text = fs.readFileSync(path.join(sharedSamples, f), 'utf8');
      if (f.startsWith('npu_smi_subcmds_')) {
        // Sub-command captures: key : value blocks (and maybe one main table).
        assert.ok(parseKeyValueLines(text).length > 5);
        if (/Total Count/.test(text)) assert.equal(parseNpuSmiList(text).totalCount, 8);
        return;
      }
      const r = parseNpuSmiInfo(text);
      assert.equal(r.ok, true, JSON.stringify(r.issues));
      // Name → family is known for every device of every sample.
      assert.ok(r.devices.every((d) => d.family !== 'unknown'), r.devices.map((d) => d.name).join(','));
      // The file name says chip, count and version: check them against the parse.
      const m = /npu_smi_\d+_(?:A3_)?(?:Atlas300(?:IDuo)?_)?([0-9A-Za-z]+?)x?(\d+)?(?:npu)?_.*?(\d+\.\d+\.[0-9a-z.]+?)_/.exec(f);
      if (m?.[3]) assert.equal(r.version, m[3]);
      for (const d of r.devices) {
        assert.ok(Number.isInteger(d.npuId) && Number.isInteger(d.chipId));
        assert.ok(d.busId === null || /^[0-9A-F]{4}:[0-9A-F]{2}:[0-9A-F]{2}\.\d$/i.test(d.busId));
        const mem = deviceMemory(d);
        assert.ok(mem && mem.usedMB <= mem.totalMB, `${d.npuId}: ${JSON.stringify(mem)}`);
      }
      for (const p of r.processes) {
        assert.ok(r.devices.some((d) => d.npuId === p.npuId && d.chipId === p.chipId), `process on a listed device: ${JSON.stringify(p)}`);
      }
      assert.ok([98, 106, 116].includes(r.width ?? 0), String(r.width));
    });
  }
  it('known facts of individual samples', () => {
    const read = (prefix: string) => parseNpuSmiInfo(fs.readFileSync(path.join(sharedSamples, files.find((f) => f.startsWith(prefix))!), 'utf8'));
    const s01 = read('npu_smi_01_');
    assert.equal(s01.devices.length, 8);
    assert.equal(s01.devices[1].hbmUsedMB, 29267);
    assert.equal(s01.processes.length, 13);
    const s04 = read('npu_smi_04_');
    assert.equal(s04.devices.length, 16);
    assert.equal(s04.devices.filter((d) => d.powerW === null).length, 8);
    const s08 = read('npu_smi_08_');
    assert.deepEqual([...new Set(s08.devices.map((d) => d.npuId))], [0, 96, 32768, 32896]);
    const s13 = read('npu_smi_13_');
    assert.deepEqual(s13.devices.map((d) => d.npuId), [4, 5]);
    assert.equal(s13.devices[0].memTotalMB, 21525);
    const s09 = read('npu_smi_09_');
    assert.equal(s09.processTableSeen, false);
    const s05 = read('npu_smi_05_');
    assert.equal(s05.layout, 'wide');
  });
});
