import { DESCRIPTION_GLOBAL_KEYS, QUANT_TYPES } from '../knowledge/quant';

/**
 * JSON Schema of quant_model_description*.json, generated from the knowledge table so the file shipped in
 * schemas/ (contributed through package.json jsonValidation, for completion in VS Code's JSON editor)
 * cannot drift from what the analyser checks. test/lsp/schema.test.ts compares the two.
 */
export function quantDescriptionJsonSchema(): Record<string, unknown> {
  const types = QUANT_TYPES.map((t) => t.name);
  const quantType = { type: 'string', enum: types };
  const props: Record<string, unknown> = {};
  for (const [k, kind] of Object.entries(DESCRIPTION_GLOBAL_KEYS)) {
    props[k] =
      kind === 'quant-type' ? { ...quantType, description: `${k}: a quant type` } :
      kind === 'string' ? { type: 'string' } :
      kind === 'int-or-string' ? { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+$' }] } :
      kind === 'boolean' ? { type: 'boolean' } :
      { type: 'object' };
  }
  (props.model_quant_type as Record<string, unknown>).description = 'Overall quant type msModelSlim wrote (e.g. W8A8_DYNAMIC, W4A16).';
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://ascend-adapt.invalid/schemas/quant_model_description.schema.json',
    title: 'msModelSlim quant_model_description.json (vLLM-Ascend)',
    description: 'Flat object: global keys plus one entry per tensor name giving its quant type. Sources: msModelSlim quantization_result.md; vllm-ascend docs/source/developer_guide/Design_Documents/quantization.md.',
    type: 'object',
    properties: props,
    additionalProperties: { ...quantType, description: 'Quant type of this tensor (FLOAT = kept unquantized).' },
  };
}
