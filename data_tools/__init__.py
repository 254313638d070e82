"""Eye-tracking data to saliency datasets (numpy, pandas, OpenCV; no torch).

- :mod:`data_tools.readers`: tracker exports (generic samples and fixation lists, EyeLink reports and
  ASC, Tobii Pro Lab, Pupil Labs, SALICON JSON) to one canonical fixation table, read in chunks; one
  module per format, found through :mod:`data_tools.readers.registry`;
- :mod:`data_tools.detection`: I-VT and I-DT fixation detection in degrees of visual angle
  (Salvucci & Goldberg, ETRA 2000);
- :mod:`data_tools.geometry`: screen geometry, pixels per degree as the MIT saliency code computes it,
  screen <-> stimulus mapping of a letter-boxed display;
- :mod:`data_tools.maps`: Gaussian-aggregated saliency maps with the border, weighting and
  normalisation policies of MIT1003 and the SALICON API;
- :mod:`data_tools.qc`, :mod:`data_tools.ingest`: quality control, inter-observer consistency and the
  dataset folder written by ``saliency ingest``;
- :mod:`data_tools.scenes`, :mod:`data_tools.observers`, :mod:`data_tools.synth`: the synthetic
  free-viewing study of ``saliency synth``.
"""
