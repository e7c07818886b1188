/** The typed values of the matrix layer, as the domain and the screens use them. */
export type * from '../matrix/model.ts';
