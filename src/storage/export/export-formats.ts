/** Formats a run converts to. Kept apart from the converters so naming them loads no WASM. */
export const EXPORT_FORMATS = ['arrow', 'parquet', 'csv'] as const;

/** What `benchtop export --format` takes: the converted formats, or the run's own HDF5 file. */
export const CLI_EXPORT_FORMATS = ['hdf5', ...EXPORT_FORMATS] as const;
