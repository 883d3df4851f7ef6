/** Nest injection tokens of an effect service (decorator metadata is not emitted: always @Inject). */
export const EFFECT_SERVICE_RUNTIME = Symbol('EFFECT_SERVICE_RUNTIME');
