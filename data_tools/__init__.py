"""Eye-tracking data to saliency datasets (numpy, pandas, OpenCV; no torch).

- :mod:`data_tools.readers`: tracker exports (generic samples and fixation lists, EyeLink reports and
  ASC, Tobii Pro Lab, Pupil Labs, SALICON JSON) to one canonical fixation table, read in chunks; one
  module per format, found through :mod:`data_tools.readers.registry`;
- :mod:`data_tools.detection`: event detection in degrees of visual angle: I-VT and I-DT (Salvucci &
  Goldberg, ETRA 2000), the adaptive detector of Nyström & Holmqvist (BRM 2010), the Tobii I-VT filter
  (Olsen 2012), post-processing and per-sample labels; :mod:`data_tools.detectors` (names, defaults,
  label codes; no numpy), :mod:`data_tools.smoothing` (Savitzky-Golay, gap bridging, eye choice),
  :mod:`data_tools.events` (event tables, Cohen's kappa and event F1 against human coders);
- :mod:`data_tools.geometry`: screen geometry, pixels per degree as the MIT saliency code computes it,
  screen <-> stimulus mapping of a letter-boxed display;
- :mod:`data_tools.maps`: Gaussian-aggregated saliency maps with the border, weighting and
  normalisation policies of MIT1003 and the SALICON API;
- :mod:`data_tools.qc`, :mod:`data_tools.ingest`: quality control, inter-observer consistency and the
  dataset folder written by ``saliency ingest``;
- :mod:`data_tools.scenes`, :mod:`data_tools.observers`, :mod:`data_tools.synth`: the synthetic
  free-viewing study of ``saliency synth``.
"""
