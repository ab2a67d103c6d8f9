import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { RunPeaks } from '../results/schema.js';
import type { CalibrationProfile } from './calibration.js';
import { matchDatasheet, type DatasheetEntry } from './datasheet.js';

/** The peaks a run divides by: the calibration when there is one (and it is wanted), and the datasheet. */
export function runPeaks(
  info: DeviceInfo,
  calibration: { profile: CalibrationProfile; file: string | null } | null,
): RunPeaks {
  const sheet: DatasheetEntry | null = matchDatasheet(info);
  return {
    calibrated:
      calibration === null
        ? null
        : { ...calibration.profile.peaks, measuredAt: calibration.profile.measuredAt, file: calibration.file },
    datasheet: sheet === null ? null : { ...sheet.peaks, id: sheet.id, name: sheet.name },
  };
}
