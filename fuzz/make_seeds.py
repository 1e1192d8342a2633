#!/usr/bin/python3
"""Writes the hand-made seeds of the fuzz targets into fuzz/corpus/<target>/: small valid inputs
of every reader (modelled on the test fixtures) and hostile ones (deep nesting, huge .npy shapes,
label 32767, CR-only lines, UTF-16, +Inf, integers beyond 64 bits). Run once after changing it;
the files are committed. scripts/fuzz adds the project seed and slices of the shared datasets."""

import io
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
MARKER = b"\n#answers.json\n"


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def npy_header(descr, shape, fortran=False, data=b"", version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    header = header.encode("latin1")
    size_field = 2 if version == 1 else 4
    total = 6 + 2 + size_field + len(header) + 1
    header += b" " * ((64 - total % 64) % 64) + b"\n"
    fmt = "<H" if version == 1 else "<I"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(header)) + header + data


def deep(levels, inner="1"):
    return "[" * levels + inner + "]" * levels


# Long CSV
put("csv", "valid", "task,worker,label\n0,a,0\n0,b,1\n1,a,1\n2,c,2\n")
put("csv", "columns-any-order", "answer,extra,annotator,question\n1,x,w1,q1\n0,y,w2,q1\n")
put("csv", "complementary", "task,worker,label,complementary\n0,a,0,1\n0,b,1,0\n1,a,2,true\n1,b,0,\n")
put("csv", "bom-crlf-quoted", "\ufefftask,worker,label\r\n\"t,1\",\"say \"\"hi\"\"\",0\r\n2,b,1\r\n")
put("csv", "label-32767", "task,worker,label\n0,a,32767\n")
put("csv", "label-beyond-64-bits", "task,worker,label\n0,a,18446744073709551616\n")
put("csv", "label-inf", "task,worker,label\n0,a,+Inf\n1,a,nan\n")
put("csv", "label-negative", "task,worker,label\n0,a,-1\n")
put("csv", "cr-only", "task,worker,label\r0,a,0\r1,b,1\r")
put("csv", "utf16", "task,worker,label\n0,a,0\n".encode("utf-16"))
put("csv", "utf16-nobom", "task,worker,label\n0,a,0\n".encode("utf-16-le"))
put("csv", "unterminated-quote", "task,worker,label\n\"0,a,0\n")
put("csv", "conflict", "task,worker,label\n0,a,0\n0,a,1\n")
put("csv", "not-utf8-ids", b"task,worker,label\n\xff\xfe,a,0\n")

# Matrix CSV
put("matrix_csv", "headerless", "0,1,\n1,,2\n,2,2\n")
put("matrix_csv", "header-ids", "task,w1,w2\nt1,0,1\nt2,NaN,1.0\n")
put("matrix_csv", "numeric-header", "5,6\n0,1\n")
put("matrix_csv", "inf", "0,inf\n-inf,1\n")
put("matrix_csv", "fraction", "0.5,1\n")
put("matrix_csv", "ragged", "0,1,2\n1\n")
put("matrix_csv", "huge-label", "1e300,1\n32767,0\n")

# .npy
put("npy", "float-nan", npy(np.array([[0, 1, np.nan], [2, np.nan, 1]], dtype="<f8")))
put("npy", "int32-negative", npy(np.array([[0, -1], [1, 2]], dtype="<i4")))
put("npy", "float32", npy(np.array([[0, 1], [1, 1]], dtype="<f4")))
put("npy", "uint8", npy(np.array([[0, 1], [1, 0]], dtype="|u1")))
put("npy", "bool", npy(np.array([[True, False]], dtype="|b1")))
put("npy", "int64-big", npy(np.array([[2**62, 0]], dtype="<i8")))
put("npy", "inf", npy(np.array([[np.inf, 0]], dtype="<f8")))
put("npy", "counts", npy(np.array([[3, 0, 1], [0, 4, 0]], dtype="<f4")))
put("npy", "shape-2e9-by-0", npy_header("<f8", "(2000000000, 0)"))
put("npy", "shape-overflow", npy_header("<f8", "(4294967296, 4294967296, 16)", data=b"\0" * 8))
put("npy", "shape-huge-rows", npy_header("<i4", "(1000000000000, 2)", data=b"\0" * 8))
put("npy", "truncated", npy(np.zeros((4, 4)))[:-9])
put("npy", "fortran", npy_header("<f8", "(2, 2)", fortran=True, data=b"\0" * 32))
put("npy", "big-endian", npy_header(">f8", "(1, 2)", data=b"\0" * 16))
put("npy", "version2", npy_header("<f8", "(1, 2)", data=b"\0" * 16, version=2))
put("npy", "scalar", npy(np.float64(3)))
put("npy", "rank3", npy(np.zeros((2, 2, 2), dtype="<f8")))
put("npy", "bad-header", b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'\n")

# Peerannot: metadata.json, the marker line, answers.json
meta = '{"name": "toy", "n_classes": 3, "n_workers": 2, "n_tasks": 3, "class_names": ["a", "b", "c"]}'
put("peerannot", "valid", meta.encode() + MARKER + b'{"0": {"0": 1, "1": 2}, "1": {"0": 0}, "2": {}}')
put("peerannot", "answers-only", '{"5": {"w": 0}, "6": {"w": 1, "v": 1}}')
put("peerannot", "complementary", meta.encode() + MARKER + b'{"0": {"0": {"not": 2}, "1": 1}}')
put("peerannot", "deep-metadata", deep(2000).encode() + MARKER + b'{"0": {"0": 0}}')
put("peerannot", "metadata-overflow", b'{"n_classes": 1e400}' + MARKER + b'{"0": {"0": 0}}')
put("peerannot", "deep-answers", '{"0": {"0": ' + deep(2000) + "}}")
put("peerannot", "deep-in-string", '{"0": {"0": 0}, "x": "' + "[" * 600 + '"}')
put("peerannot", "label-2-63", '{"0": {"0": 9223372036854775808}}')
put("peerannot", "label-2-64", '{"0": {"0": 18446744073709551616}}')
put("peerannot", "label-float", '{"0": {"0": 1.5, "1": 1e400}}')
put("peerannot", "label-32767", '{"0": {"0": 32767}}')
put("peerannot", "n-classes-huge", '{"n_classes": 2000000000}'.encode() + MARKER + b'{"0": {"0": 0}}')
put("peerannot", "n-classes-negative", '{"n_classes": -3, "class_names": [1, 2]}'.encode() + MARKER + b'{"0": {"0": 0}}')
put("peerannot", "utf16", '{"0": {"0": 0}}'.encode("utf-16"))
put("peerannot", "not-utf8", b'{"\xc3\x28": {"0": 0}}')

# CIFAR-10H: the test fixture
with open(os.path.join(HERE, "..", "tests", "data", "formats", "cifar10h-raw.csv"), "rb") as f:
    put("cifar10h", "fixture", f.read())
put("cifar10h", "minimal", "annotator_id,chosen_label,cifar10_test_test_idx,is_attn_check,true_label\n0,3,12,0,3\n1,11,-99999,1,1\n")
put("cifar10h", "label-out-of-range", "annotator_id,chosen_label,cifar10_test_test_idx,is_attn_check\n0,10,1,0\n")

# Rodrigues answers.txt
put("rodrigues", "valid", "0 -1 1\n-1 2 2\n1 1 -1\n")
put("rodrigues", "tabs-ragged", "0\t1\n2\n")
put("rodrigues", "label-32767", "32767 -1\n")
put("rodrigues", "float", "0.0 1.5\n")
put("rodrigues", "cr-only", "0 1\r1 0\r")
FEATURES = b"\n#features.npy\n"
put("rodrigues", "features", b"0 1\n1 -1\n" + FEATURES + npy(np.arange(6, dtype="<f4").reshape(2, 3)))
put("rodrigues", "features-wrong-rows", b"0 1\n" + FEATURES + npy(np.zeros((3, 2), dtype="<f8")))
put("rodrigues", "features-huge-shape", b"0 1\n" + FEATURES + npy_header("<f4", "(1, 4611686018427387904)", data=b"\0" * 8))
put("rodrigues", "features-zero-width", b"0 1\n1 0\n" + FEATURES + npy_header("<f4", "(2, 0, 9000000000000000000)"))

# Truth: selector byte (0 .csv, 1 .txt, 2 .npy; +4 allow empty labels), then the file
put("truth", "csv", b"\x00task,truth\n0,0\n1,1\n7,2\n")
put("truth", "csv-empty-allowed", b"\x03task,label\n0,\n7,2\n")
put("truth", "csv-unknown-task", b"\x00task,label\n9,0\n")
put("truth", "txt", b"\x010\n1\n2\n")
put("truth", "txt-keys-past-end", b"\x010\n1\n2\n0\n1\n2\n0\n1\n")
put("truth", "npy-int", b"\x02" + npy(np.array([0, 1, 2], dtype="<i4")))
put("truth", "npy-nan", b"\x02" + npy(np.array([0, np.nan, 2], dtype="<f8")))
put("truth", "npy-huge", b"\x02" + npy_header("<i8", "(9000000000000000000,)"))

# JSON (as -p key=value)
put("json", "number", "50")
put("json", "object", '{"a": [1, 2, {"b": null}], "c": "d"}')
put("json", "deep-300", deep(300))
put("json", "deep-2000-objects", '{"a":' * 2000 + "1" + "}" * 2000)
put("json", "unbalanced", "]]]]" + deep(200))
put("json", "escaped-bracket", '"\\"[[[["')
put("json", "not-utf8", b'"\xff\xfe"')
put("json", "big-numbers", "[18446744073709551616, 9223372036854775808, -9223372036854775809, 1e400]")

# Decisions (decide --from) on the three-item dataset (items 0, 1, 7; classes 0..2)
put("decisions", "valid", "task,label,note\n0,1,looks like b\n7,2,\n")
put("decisions", "class-name", "task,label\n1,2\n")
put("decisions", "duplicate", "task,label\n0,1\n0,2\n")
put("decisions", "unknown", "task,label\n99,1\n1,32767\n")
put("decisions", "short", "task,label,note\n0\n")
