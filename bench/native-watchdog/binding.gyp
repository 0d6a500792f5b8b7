{
  "targets": [
    {
      "target_name": "sentinel",
      "sources": ["sentinel.cc"],
      "cflags_cc": ["-std=c++20", "-O2"]
    },
    {
      "target_name": "writer",
      "sources": ["writer.cc"],
      "cflags_cc": ["-std=c++20", "-O2"]
    }
  ]
}
