// ISO 4217 active currency codes and their minor units (the "E" column of the
// ISO table). Codes whose minor unit is "N.A." (precious metals, XSU, XUA,
// XDR, test codes) are left out: they cannot be settled in minor units.
// Withdrawn codes (HRK, SLL, ANG, ZWL, CUC) are left out too.
const MINOR_UNITS_ZERO = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const MINOR_UNITS_THREE = 'BHD IQD JOD KWD LYD OMR TND';
const MINOR_UNITS_FOUR = 'CLF UYW';
const MINOR_UNITS_TWO =
  'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
  'CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP ' +
  'GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK ' +
  'LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO ' +
  'NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS ' +
  'SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST ' +
  'XCD XCG YER ZAR ZMW ZWG';

function table(): ReadonlyMap<string, number> {
  const scales = new Map<string, number>();
  const add = (codes: string, scale: number): void => {
    for (const code of codes.split(' ')) scales.set(code, scale);
  };
  add(MINOR_UNITS_ZERO, 0);
  add(MINOR_UNITS_TWO, 2);
  add(MINOR_UNITS_THREE, 3);
  add(MINOR_UNITS_FOUR, 4);
  return scales;
}

/** Currency code → number of decimal places of its minor unit. */
export const currencyScales: ReadonlyMap<string, number> = table();
